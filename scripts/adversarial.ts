/**
 * `npm run adversarial`: an authenticated sender doing its worst against a real bridge on a real Kafka (issue 15).
 *
 *   1. a real Kafka broker and schema registry (the local stack, or KAFKA_BROKERS / SCHEMA_REGISTRY_URL), and
 *      the production build of the bridge (bench/targets.ts), publishing to topics of this run only;
 *   2. ADVERSARIAL_RUNS (100,000) callbacks over HTTP keep-alive, ADVERSARIAL_CLIENTS (16) at a time: the
 *      fixtures of both formats mutated 0 to 2 times by the fuzz tests' mutations (test/unit/soap/mutations.ts,
 *      test/unit/json/mutations.ts), seeded by ADVERSARIAL_SEED; mixed in among them, the hostile callbacks of
 *      test/support/hostile.ts: deep trees of long names (47 KB, 102 KB, 180 KB and the largest body), names of
 *      Object.prototype's, and secrets planted under credential names at any depth;
 *   3. while they run, the bridge's /metrics every 250 ms (the event loop's largest delay since the last scrape,
 *      from prom-client's monitorEventLoopDelay, and the resident set) and /healthz's answer time; and, for
 *      comparison, the largest delay of an idle Node process on the same machine (what the machine's own load
 *      does to any event loop: on a shared machine it can be most of the bridge's);
 *   4. afterwards every record of the run's topics read back and checked.
 *
 * A violation, each counted in the summary line, makes the exit code 1: an answer 5xx other than 503, a request
 * with no answer, the bridge gone or unhealthy at the end, Kafka not holding exactly one record per 200 (and,
 * when answers carry X-Event-Id, an acknowledged eventId missing), a planted secret or the account's password in
 * any record, a `__proto__` field lost from an acknowledged record, an event-loop delay more than
 * ADVERSARIAL_MAX_DELAY_MS (100) over the idle process's (on a quiet machine that is a few ms; on a shared one
 * the machine alone can stall any event loop that long), or resident memory grown by more than
 * ADVERSARIAL_MAX_RSS_GROWTH_MIB (256).
 *
 * Long (minutes): not part of `npm test`.
 */
import '../src/kafka/kafkajs-timer-warning';
import { spawn } from 'node:child_process';
import { randomInt, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { topicSettings } from '../src/config';
import { createKafkaClient, createRegistryClient } from '../src/kafka/clients';
import type { WireFormat } from '../src/message/types';
import { startTarget, type RunningTarget } from '../bench/targets';
import { recordsIn } from '../bench/kafka-check';
import { provideInfra } from '../test/infra/environment';
import { clientConfig, prefixedTopics, stderrLogger } from '../test/support/clients';
import { expectedOf, FIXTURE_SETS, fixtureSource, PASSWORD, USERNAME } from '../test/support/fixtures';
import {
  amplifying,
  avroEntry,
  PLANTED_COUNT,
  withPlantedSecrets,
  withPrototypeNames,
  type Account,
} from '../test/support/hostile';
import { prng, type Mutation, type Random } from '../test/unit/message/fuzz';
import { JSON_MUTATIONS } from '../test/unit/json/mutations';
import { SOAP_MUTATIONS } from '../test/unit/soap/mutations';
import { DEFAULT_PARSER_LIMITS } from '../src/message/limits';
import { CONTENT_TYPES } from '../src/simulator';

const ROOT = join(__dirname, '..');
const RUNS = Number(process.env.ADVERSARIAL_RUNS ?? 100_000);
const CLIENTS = Number(process.env.ADVERSARIAL_CLIENTS ?? 16);
const SEED = Number(process.env.ADVERSARIAL_SEED ?? randomInt(2 ** 31));
const MAX_DELAY_MS = Number(process.env.ADVERSARIAL_MAX_DELAY_MS ?? 100);
const MAX_RSS_GROWTH_MIB = Number(process.env.ADVERSARIAL_MAX_RSS_GROWTH_MIB ?? 256);
const ACCOUNT: Account = { username: USERNAME, password: PASSWORD };
/** Every planted secret starts so; nothing else in any message does. */
const PLANTED_PREFIX = 'Pl4nted-Adv3rsarial-';
const PROTO_TAG_PREFIX = 'proto-tag-';
const REQUEST_TIMEOUT_MS = 60_000;
const MiB = 1024 * 1024;

const say = (line: string) => process.stderr.write(`adversarial: ${line}\n`);

type Kind = 'mutated' | 'amplifying' | 'prototype' | 'planted';

interface Case {
  kind: Kind;
  format: WireFormat;
  service: string;
  body: Buffer;
  /** prototype: the tag in its `__proto__` value, to find it in a record. */
  tag?: string;
}

interface Corpus {
  format: WireFormat;
  bodies: Buffer[];
  services: string[];
  mutations: readonly Mutation[];
}

function corpus(format: WireFormat, mutations: readonly Mutation[]): Corpus {
  const set = FIXTURE_SETS[format];
  return {
    format,
    bodies: set.names.map((name) => Buffer.from(fixtureSource(set, name))),
    services: set.names.map((name) => expectedOf(set, name).context.service),
    mutations,
  };
}

/** The hostile callbacks, each of both formats; mixed into the mutated ones at random places. */
function hostileCases(): Case[] {
  const cases: Case[] = [];
  for (const format of ['soap', 'rest'] as const) {
    for (const bytes of [47_000, 102_000, 180_000, DEFAULT_PARSER_LIMITS.maxBodyBytes]) {
      for (let i = 0; i < 3; i++) {
        cases.push({
          kind: 'amplifying',
          format,
          service: 'DeviceUsage',
          body: Buffer.from(amplifying(format, ACCOUNT, bytes)),
        });
      }
    }
    for (let i = 0; i < 50; i++) {
      const tag = `${PROTO_TAG_PREFIX}${format}-${i}`;
      cases.push({
        kind: 'prototype',
        format,
        service: 'DeviceUsage',
        body: Buffer.from(withPrototypeNames(format, ACCOUNT, tag)),
        tag,
      });
    }
    for (let i = 0; i < 200; i++) {
      const secrets = Array.from({ length: PLANTED_COUNT }, (_, n) => `${PLANTED_PREFIX}${format}-${i}-${n}`);
      cases.push({
        kind: 'planted',
        format,
        service: 'DeviceUsage',
        body: Buffer.from(withPlantedSecrets(format, ACCOUNT, secrets)),
      });
    }
  }
  return cases;
}

/** The cases in sending order: RUNS mutated fixtures with the hostile ones among them. */
function* cases(random: Random): Generator<Case> {
  const corpora = [corpus('soap', SOAP_MUTATIONS), corpus('rest', JSON_MUTATIONS)];
  const hostile = hostileCases();
  const at = new Map<number, Case[]>();
  for (const one of hostile) {
    const index = random(RUNS + 1);
    at.set(index, [...(at.get(index) ?? []), one]);
  }
  for (let i = 0; i <= RUNS; i++) {
    yield* at.get(i) ?? [];
    if (i === RUNS) return;
    const { format, bodies, services, mutations } = corpora[random(2)]!;
    const pick = random(bodies.length);
    let body = bodies[pick]!;
    for (let n = random(3); n > 0; n--) body = mutations[random(mutations.length)]!(body, random)[1];
    yield { kind: 'mutated', format, service: services[pick]!, body };
  }
}

interface Answer {
  status: number;
  eventId: string | undefined;
}

function post(agent: Agent, port: number, one: Case): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/callbacks/${one.service}`,
        headers: { 'content-type': CONTENT_TYPES[one.format], 'content-length': one.body.length },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        res.resume();
        res.once('end', () => {
          const eventId = res.headers['x-event-id'];
          resolve({
            status: res.statusCode ?? 0,
            eventId: typeof eventId === 'string' ? eventId : undefined,
          });
        });
        res.once('error', reject);
      },
    );
    req.once('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
    req.once('error', reject);
    req.end(one.body);
  });
}

/**
 * An idle Node process measuring its own event loop as prom-client does for the bridge; `stop` resolves with the
 * largest delay in ms.
 */
function idleControl(): { stop(): Promise<number> } {
  const code =
    "const h = require('node:perf_hooks').monitorEventLoopDelay({ resolution: 10 }); h.enable();" +
    "setInterval(() => {}, 1000); process.on('SIGTERM', () => { process.stdout.write(String(h.max / 1e6)); process.exit(0); });";
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return {
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      return Number(out);
    },
  };
}

/** The bridge seen from outside while the load runs: its event loop, memory and health probe. */
class Watch {
  maxDelayMs = 0;
  maxHealthMs = 0;
  rssBytes = 0;
  maxRssBytes = 0;
  readonly #timer: NodeJS.Timeout;
  #busy = false;

  constructor(readonly base: string) {
    this.#timer = setInterval(() => void this.sample(), 250);
  }

  async sample(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const started = performance.now();
      const health = await fetch(`${this.base}/healthz`);
      await health.arrayBuffer();
      this.maxHealthMs = Math.max(this.maxHealthMs, performance.now() - started);
      const metrics = await (await fetch(`${this.base}/metrics`)).text();
      const value = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(metrics)?.[1] ?? NaN);
      const delay = value('nodejs_eventloop_lag_max_seconds') * 1000;
      if (Number.isFinite(delay)) this.maxDelayMs = Math.max(this.maxDelayMs, delay);
      this.rssBytes = value('process_resident_memory_bytes');
      this.maxRssBytes = Math.max(this.maxRssBytes, this.rssBytes);
    } catch {
      // The sender's errors count; a missed sample only narrows the watch.
    } finally {
      this.#busy = false;
    }
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

interface Tally {
  sent: number;
  byStatus: Map<number, number>;
  noAnswer: number;
  firstNoAnswer?: string;
  acknowledged: number;
  acknowledgedByKind: Map<Kind, number>;
  eventIds: Set<string>;
  /** prototype cases answered 200: their tags, each to be found in a record. */
  protoTags: Set<string>;
}

async function send(port: number, random: Random, tally: Tally): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const source = cases(random);
  const worker = async () => {
    for (let next = source.next(); !next.done; next = source.next()) {
      const one = next.value;
      tally.sent++;
      try {
        const { status, eventId } = await post(agent, port, one);
        tally.byStatus.set(status, (tally.byStatus.get(status) ?? 0) + 1);
        if (status === 200) {
          tally.acknowledged++;
          tally.acknowledgedByKind.set(one.kind, (tally.acknowledgedByKind.get(one.kind) ?? 0) + 1);
          if (eventId) tally.eventIds.add(eventId);
          if (one.tag) tally.protoTags.add(one.tag);
        }
      } catch (err) {
        tally.noAnswer++;
        tally.firstNoAnswer ??= err instanceof Error ? err.message : String(err);
      }
      if (tally.sent % 10_000 === 0) say(`${tally.sent} sent, ${tally.acknowledged} acknowledged`);
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, worker));
  agent.destroy();
}

interface Reading {
  records: number;
  eventIds: Set<string>;
  /** Records holding a planted secret (every one under a credential's name). */
  planted: number;
  /**
   * Records holding the account's password: a mutation can copy the password's member or element and rename
   * the copy to no credential's name (`p2ssword`), which no rule by name can catch.
   */
  password: number;
  firstLeak?: string;
  protoTagsFound: Set<string>;
}

/** Reads every record of the run's topics and checks it. */
async function readBack(
  kafka: ReturnType<typeof createKafkaClient>,
  registry: ReturnType<typeof createRegistryClient>,
  topics: string[],
  total: number,
  protoTags: ReadonlySet<string>,
): Promise<Reading> {
  const reading: Reading = {
    records: 0,
    eventIds: new Set(),
    planted: 0,
    password: 0,
    protoTagsFound: new Set(),
  };
  if (total === 0) return reading;
  const planted = Buffer.from(PLANTED_PREFIX);
  const password = Buffer.from(PASSWORD);
  const protoMarker = Buffer.from(PROTO_TAG_PREFIX);
  const consumer = kafka.consumer({ groupId: `adversarial-${randomUUID()}`, maxBytes: 50 * MiB });
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await new Promise<void>((resolve) => {
    // A record short (which the counts above already report) must not hang the run.
    const timeout = setTimeout(resolve, 180_000);
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          const value = message.value!;
          const [hasPlanted, hasPassword] = [value.includes(planted), value.includes(password)];
          if (hasPlanted) reading.planted++;
          if (hasPassword) reading.password++;
          if (hasPlanted || hasPassword) {
            reading.firstLeak ??= `${batch.topic} partition ${batch.partition} offset ${message.offset}`;
          }
          if (value.includes(protoMarker)) {
            for (const tag of protoTags) {
              const entry = avroEntry('__proto__', `value of __proto__ ${tag}`);
              if (value.includes(entry)) reading.protoTagsFound.add(tag);
            }
          }
          const event = (await registry.decode(value)) as { eventId: string };
          reading.eventIds.add(event.eventId);
          if (++reading.records === total) {
            clearTimeout(timeout);
            resolve();
          }
        }
      },
    });
  });
  await consumer.disconnect();
  return reading;
}

/** The spool directory's mode and its files' (octal), as the bridge left them. */
function modesIn(dir: string): { dir: string; files: string[] } {
  const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
  return { dir: mode(dir), files: readdirSync(dir).map((name) => mode(join(dir, name))) };
}

async function main(): Promise<void> {
  const infra = await provideInfra();
  const brokers = infra.kafkaBrokers.split(',');
  const config = clientConfig({ brokers, registryUrl: infra.schemaRegistryUrl });
  const kafka = createKafkaClient(config.kafka, { logger: stderrLogger(), clientId: 'adversarial' });
  const registry = createRegistryClient(config.schemaRegistry);
  const admin = kafka.admin();
  await admin.connect();
  const prefix = `adversarial-${Date.now()}`;
  const topics = prefixedTopics(prefix);
  const dir = mkdtempSync(join(tmpdir(), 'adversarial-'));
  let bridge: RunningTarget | undefined;
  let violations = 0;
  try {
    bridge = await startTarget('bridge', {
      root: ROOT,
      dir,
      brokers,
      registryUrl: infra.schemaRegistryUrl,
      username: USERNAME,
      password: PASSWORD,
      topics: { bridge: topicSettings(topics), afternoon: `${prefix}.unused` },
      partitions: 3,
      bridgeSpoolDir: join(dir, 'spool'),
    });
    const base = `http://127.0.0.1:${bridge.port}`;
    say(`bridge on ${base}, log ${bridge.logFile}; ADVERSARIAL_SEED=${SEED}, ${RUNS} mutated callbacks`);
    const watch = new Watch(base);
    const control = idleControl();
    await watch.sample();
    const rssBefore = watch.rssBytes;

    const tally: Tally = {
      sent: 0,
      byStatus: new Map(),
      noAnswer: 0,
      acknowledged: 0,
      acknowledgedByKind: new Map(),
      eventIds: new Set(),
      protoTags: new Set(),
    };
    const started = performance.now();
    await send(bridge.port, prng(SEED), tally);
    const seconds = (performance.now() - started) / 1000;
    await watch.sample();
    watch.stop();
    const idleMaxDelayMs = await control.stop();
    const rssAfter = watch.rssBytes;
    const healthy =
      bridge.child.exitCode === null &&
      (await fetch(`${base}/healthz`).then(
        (r) => r.ok,
        () => false,
      ));

    // Every 200 is a record once the bridge answered it; wait only for the reads to see them.
    const topicNames = Object.values(topics);
    let records = await recordsIn(admin, topicNames);
    for (const deadline = Date.now() + 30_000; records < tally.acknowledged && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 500));
      records = await recordsIn(admin, topicNames);
    }
    say(`reading ${records} records back`);
    const reading = await readBack(kafka, registry, topicNames, records, tally.protoTags);
    const missingIds = [...tally.eventIds].filter((id) => !reading.eventIds.has(id)).length;

    const status = (test: (code: number) => boolean) =>
      [...tally.byStatus].filter(([code]) => test(code)).reduce((sum, [, n]) => sum + n, 0);
    const bad5xx = status((code) => code >= 500 && code !== 503);
    const protoLost = tally.protoTags.size - reading.protoTagsFound.size;
    const rssGrowthMiB = (rssAfter - rssBefore) / MiB;
    const spoolModes = modesIn(join(dir, 'spool'));
    const checks: [string, boolean][] = [
      ['5xx other than 503', bad5xx === 0],
      ['requests without an answer', tally.noAnswer === 0],
      ['bridge alive and healthy', healthy],
      ['records = 200s', records === tally.acknowledged && reading.records === records],
      ['acknowledged eventIds in Kafka', missingIds === 0],
      ['no planted secret in any record', reading.planted === 0],
      ["no record with the account's password", reading.password === 0],
      ['__proto__ fields kept', protoLost === 0],
      [
        `event loop delay <= ${MAX_DELAY_MS} ms over an idle process's`,
        watch.maxDelayMs - idleMaxDelayMs <= MAX_DELAY_MS,
      ],
      [`RSS growth <= ${MAX_RSS_GROWTH_MIB} MiB`, rssGrowthMiB <= MAX_RSS_GROWTH_MIB],
      [
        'spool directory 700, its files 600',
        spoolModes.dir === '700' && spoolModes.files.length > 0 && spoolModes.files.every((m) => m === '600'),
      ],
    ];
    for (const [what, ok] of checks) {
      if (!ok) {
        violations++;
        say(`VIOLATION: ${what}`);
      }
    }
    if (tally.firstNoAnswer) say(`first request without an answer: ${tally.firstNoAnswer}`);
    if (reading.firstLeak) say(`first record with a secret: ${reading.firstLeak}`);
    const kinds = [...tally.acknowledgedByKind].map(([kind, n]) => `${kind}:${n}`).join(',');
    const statuses = [...tally.byStatus]
      .sort(([a], [b]) => a - b)
      .map(([code, n]) => `${code}:${n}`)
      .join(',');
    process.stdout.write(
      `adversarial: seed=${SEED} sent=${tally.sent} seconds=${seconds.toFixed(1)} statuses=${statuses} ` +
        `noAnswer=${tally.noAnswer} 200s=${tally.acknowledged} (${kinds}) 5xxNot503=${bad5xx} ` +
        `inKafka=${records} read=${reading.records} distinctEventIds=${reading.eventIds.size} ` +
        `answeredEventIds=${tally.eventIds.size} missingEventIds=${missingIds} ` +
        `plantedSecretRecords=${reading.planted} passwordRecords=${reading.password} ` +
        `protoKept=${reading.protoTagsFound.size}/${tally.protoTags.size} ` +
        `maxLoopDelayMs=${watch.maxDelayMs.toFixed(1)} idleProcessMaxDelayMs=${idleMaxDelayMs.toFixed(1)} ` +
        `maxHealthzMs=${watch.maxHealthMs.toFixed(1)} ` +
        `rssBeforeMiB=${(rssBefore / MiB).toFixed(0)} rssAfterMiB=${(rssAfter / MiB).toFixed(0)} ` +
        `rssMaxMiB=${(watch.maxRssBytes / MiB).toFixed(0)} spoolDir=${spoolModes.dir} ` +
        `spoolFiles=${spoolModes.files.join(',')} healthy=${healthy} violations=${violations}\n`,
    );
  } finally {
    await bridge?.stop();
    await admin.disconnect();
    await infra.stop();
  }
  if (violations > 0) process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`adversarial: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
