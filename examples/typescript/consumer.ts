/**
 * Reads the bridge's topics with kafkajs, decodes each record with the package's own decoder, drops duplicate
 * events by eventId and prints each device's state changes per category. The same behaviour, output and exit
 * codes as examples/python/consumer.py; see README.md beside this file.
 *
 *   npm run build && KAFKA_BOOTSTRAP=... SCHEMA_REGISTRY_URL=... STOP_AT_END=1 \
 *     bash scripts/run tsx examples/typescript/consumer.ts
 */
import { Kafka, logLevel, type Admin, type Consumer, type KafkaMessage, type logCreator } from 'kafkajs';
import { decodeEvent, registrySchemas, type DecodedRecord } from 'thingspace-kafka-bridge/consumer';

const env = (name: string, fallback: string): string => process.env[name] || fallback;
const BOOTSTRAP = env('KAFKA_BOOTSTRAP', 'localhost:9092');
const REGISTRY_URL = env('SCHEMA_REGISTRY_URL', 'http://localhost:8081');
const TOPICS = env(
  'TOPICS',
  'thingspace.async-responses,thingspace.external-changes,thingspace.device-originated',
)
  .split(',')
  .map((topic) => topic.trim())
  .filter((topic) => topic !== '');
const GROUP_ID = env('GROUP_ID', 'thingspace-example-typescript');
const STOP_AT_END = process.env.STOP_AT_END === '1';

/** Logs go to stderr, as JSON lines: stdout carries only the state lines and the summary. */
const stderrLog: logCreator =
  () =>
  ({ namespace, level, log }) =>
    process.stderr.write(`${JSON.stringify({ level: logLevel[level], namespace, ...log })}\n`);

/** What was read, and the last state per (device, category). */
const seen = new Set<string>();
const states = new Map<string, string>();
let records = 0;
let duplicates = 0;
let changes = 0;

/** Counts a decoded record; prints the device's new state in its category when it changed. */
function handle(key: string, decoded: DecodedRecord): void {
  records += 1;
  const eventId = decoded.kind === 'event' ? decoded.event.eventId : decoded.deadLetter.eventId;
  if (seen.has(eventId)) {
    duplicates += 1; // the bridge delivers at least once
    return;
  }
  seen.add(eventId);
  if (decoded.kind !== 'event') return; // a dead letter (TOPICS may name that topic) has no device state
  const { category, service, payloadType, status } = decoded.event;
  const state = `${service} ${payloadType ?? '-'} ${status ?? '-'}`;
  const device = `${key} ${category}`;
  if (states.get(device) === state) return;
  states.set(device, state);
  changes += 1;
  process.stdout.write(`${device}: ${state}\n`);
}

/** The end offset of every partition that has records, as the topics are now: `topic:partition` -> offset. */
async function endOffsets(admin: Admin): Promise<Map<string, number>> {
  const ends = new Map<string, number>();
  for (const topic of TOPICS) {
    for (const { partition, high, low } of await admin.fetchTopicOffsets(topic)) {
      if (Number(high) > Number(low)) ends.set(`${topic}:${partition}`, Number(high));
    }
  }
  return ends;
}

/** Consumes until the end offsets (STOP_AT_END) or a signal; rejects on an undecodable record or a crash. */
function consume(consumer: Consumer, ends: Map<string, number> | undefined): Promise<void> {
  const schemas = registrySchemas({ url: REGISTRY_URL });
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      if (err === undefined) resolve();
      else reject(err instanceof Error ? err : new Error('the Kafka consumer failed', { cause: err }));
    };
    process.once('SIGINT', () => finish());
    process.once('SIGTERM', () => finish());
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (!payload.restart) finish(payload.error);
    });
    if (ends?.size === 0) return finish(); // nothing to read

    const eachMessage = async (topic: string, partition: number, message: KafkaMessage) => {
      const where = `${topic}:${partition}`;
      const offset = Number(message.offset);
      if (done || (ends && offset >= (ends.get(where) ?? 0))) return; // after the end we read to
      try {
        handle(message.key?.toString('utf8') ?? '-', await decodeEvent(message.value, schemas));
      } catch (err) {
        // A ConsumerError's code says why: not wire format, unknown schema id, registry unreachable, ...
        const { code, name, message: reason } = err as Error & { code?: string };
        return finish(new Error(`undecodable record ${where}@${offset}: ${code ?? name}: ${reason}`));
      }
      if (ends && offset + 1 >= ends.get(where)!) {
        ends.delete(where);
        if (ends.size === 0) finish();
      }
    };
    consumer
      .run({
        // A run to the end commits nothing, so it can be repeated with the same GROUP_ID.
        autoCommit: ends === undefined,
        eachMessage: ({ topic, partition, message }) => eachMessage(topic, partition, message),
      })
      .catch(finish);
  });
}

async function main(): Promise<number> {
  const kafka = new Kafka({
    clientId: GROUP_ID,
    brokers: BOOTSTRAP.split(','),
    logLevel: logLevel.WARN,
    logCreator: stderrLog,
    retry: { retries: 3 },
  });
  const admin = kafka.admin();
  const consumer = kafka.consumer({ groupId: GROUP_ID });
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = TOPICS.filter((topic) => !existing.has(topic));
    if (missing.length > 0) throw new Error(`no such topic: ${missing.join(', ')}`);
    const ends = STOP_AT_END ? await endOffsets(admin) : undefined;
    process.stderr.write(
      `reading ${TOPICS.join(', ')} from ${BOOTSTRAP} as ${GROUP_ID}` +
        `${ends ? `, up to the end offsets of ${ends.size} partitions` : ', until Ctrl-C'}\n`,
    );
    await consumer.connect();
    await consumer.subscribe({ topics: TOPICS, fromBeginning: true });
    await consume(consumer, ends);
  } catch (err) {
    process.stderr.write(`consumer: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  } finally {
    await Promise.allSettled([consumer.disconnect(), admin.disconnect()]);
  }
  process.stdout.write(
    `summary: records=${records} duplicates=${duplicates} events=${records - duplicates} changes=${changes}\n`,
  );
  return 0;
}

void main().then((code) => process.exit(code));
