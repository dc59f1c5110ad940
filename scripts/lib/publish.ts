import { createKafka, JsonProducer } from '#gridshift/messaging';
import { replay, type TimedMessage } from '#gridshift/simulation';

/**
 * Publishes timed messages to `topic` at `speed` (simulated seconds per real second, Infinity = as fast as
 * possible) with progress on stdout; SIGINT/SIGTERM stop it after the batch in flight. Returns how many were sent.
 */
export async function publishTimed<T>(
  messages: TimedMessage<T>[],
  opts: { topic: string; brokers?: string; clientId: string; speed: number },
): Promise<number> {
  const brokers = (opts.brokers ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
  const producer = new JsonProducer(createKafka({ brokers, clientId: opts.clientId }));
  const abort = new AbortController();
  process.once('SIGINT', () => abort.abort());
  process.once('SIGTERM', () => abort.abort());
  try {
    const sent = await replay(
      messages,
      async (batch) => {
        await producer.send(
          opts.topic,
          batch.map((m) => ({ key: m.key, value: m.value, messageId: m.messageId })),
        );
      },
      {
        speed: opts.speed,
        signal: abort.signal,
        onProgress: (n, total, simMs) =>
          process.stdout.write(`\rsent ${n}/${total} (simulated ${new Date(simMs).toISOString()})`),
      },
    );
    process.stdout.write('\n');
    return sent;
  } finally {
    await producer.disconnect();
  }
}
