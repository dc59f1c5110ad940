// Test workers that use kafkajs directly (not through #gridshift/messaging) get its request-queue fix too
// (libs/messaging/src/request-queue-fix.ts: no 1 ms timer loop per connection, no TimeoutNegativeWarning).
import { installRequestQueueFix } from '#gridshift/messaging';

installRequestQueueFix();
