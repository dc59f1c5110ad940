import { z } from 'zod';
import { WhatIfScenarioSchema } from '#gridshift/scheduling';

/** Body of POST /what-ifs: the planner's own scenario schema (libs/scheduling), so validation and docs agree. */
export const WhatIfBody = z
  .strictObject({
    scenario: WhatIfScenarioSchema.describe(
      'Changes applied to the planner’s current inputs before solving.',
    ),
    reason: z.string().trim().min(1).max(1000).optional().describe('Why, for the audit log.'),
  })
  .meta({
    example: {
      scenario: {
        priceMultiplierByZone: { 'DE-LU': 1.5 },
        capacityOverrides: [
          { clusterId: 'fra-1', gpus: 0, fromUtc: '2024-03-02T06:00:00Z', toUtc: '2024-03-02T12:00:00Z' },
        ],
      },
      reason: 'what if Frankfurt is down for maintenance during a price spike',
    },
  });
