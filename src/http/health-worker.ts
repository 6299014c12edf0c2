/**
 * The health port's server (`http.healthPort`), on a worker thread of its own (health-port.ts starts it), so that
 * /healthz and /readyz answer within milliseconds however busy the main event loop is: under 2,000 clients a
 * new connection to a port served by the main loop waited seconds to be accepted (bench/README.md, "Overload").
 *
 * It knows the main thread through a heartbeat counter in shared memory, which the main loop bumps every beat,
 * and the readiness the main thread posts when it changes. /healthz is 200 while the counter moved within
 * `stallMs`, 503 once the main loop has been stuck that long: a liveness probe still catches a hung node, not a
 * busy one. /readyz says what the main thread last posted.
 *
 * Imports only node: modules; it must load alone in a fresh thread.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';

export interface HealthWorkerData {
  host: string;
  port: number;
  /** One Int32: the heartbeat counter. */
  heartbeat: SharedArrayBuffer;
  stallMs: number;
  /** Why the node is not ready at start; undefined when ready. */
  notReady: string | undefined;
}

/** What the worker tells the main thread: listening (its port), or why it could not. */
export type HealthWorkerMessage = { listening: number } | { failed: string };

/** What the main thread tells the worker: readiness changed. */
export interface ReadinessMessage {
  notReady: string | undefined;
}
/** How often the worker looks at the counter: a stall is seen to within this. */
const WATCH_MS = 100;

const { host, port, heartbeat, stallMs, ...start } = workerData as HealthWorkerData;
const counter = new Int32Array(heartbeat);
let notReady = start.notReady;
let lastBeat = Atomics.load(counter, 0);
let lastBeatAt = performance.now();

parentPort!.on('message', (message: ReadinessMessage) => (notReady = message.notReady));
setInterval(() => {
  const beat = Atomics.load(counter, 0);
  if (beat !== lastBeat) [lastBeat, lastBeatAt] = [beat, performance.now()];
}, WATCH_MS).unref();

function answer(res: ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const server = createServer((req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD')
    return answer(res, 405, { status: 'method not allowed' });
  const stalledMs = performance.now() - lastBeatAt;
  switch (req.url?.split('?', 1)[0]) {
    case '/healthz':
      return stalledMs > stallMs
        ? answer(res, 503, { status: 'stalled', stalledMs: Math.round(stalledMs) })
        : answer(res, 200, { status: 'ok' });
    case '/readyz':
      return notReady === undefined
        ? answer(res, 200, { status: 'ready' })
        : answer(res, 503, { status: 'not-ready', reason: notReady });
    default:
      return answer(res, 404, { status: 'not found' });
  }
});
server.once('error', (err) => parentPort!.postMessage({ failed: err.message } satisfies HealthWorkerMessage));
server.listen({ port, host }, () => {
  parentPort!.postMessage({
    listening: (server.address() as AddressInfo).port,
  } satisfies HealthWorkerMessage);
});
