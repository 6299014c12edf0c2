/**
 * The optional health port (`http.healthPort`): /healthz and /readyz served by a worker thread (health-worker.ts),
 * so probes are answered at once when the main event loop is busy. The main thread's part: start the worker, bump
 * the heartbeat every BEAT_MS, post readiness when it changes, stop.
 */
import { extname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Readiness } from './app';
import type { HealthWorkerData, HealthWorkerMessage, ReadinessMessage } from './health-worker';

/** How often the main loop shows it runs. */
const BEAT_MS = 100;
/** /healthz turns 503 after the main loop has not run for this long: stuck, not busy. */
export const DEFAULT_STALL_MS = 10_000;

export interface HealthPort {
  port: number;
  close(): Promise<void>;
}

export interface HealthPortOptions {
  host: string;
  port: number;
  readiness: Readiness;
  stallMs?: number;
}

export async function openHealthPort(options: HealthPortOptions): Promise<HealthPort> {
  const heartbeat = new SharedArrayBuffer(4);
  const counter = new Int32Array(heartbeat);
  let notReady = options.readiness();
  const workerData: HealthWorkerData = {
    host: options.host,
    port: options.port,
    heartbeat,
    stallMs: options.stallMs ?? DEFAULT_STALL_MS,
    notReady,
  };
  const file = join(__dirname, `health-worker${extname(__filename)}`);
  // From the TypeScript sources (tests, tsx) the worker needs the same loader; from dist/ it is plain JavaScript.
  const worker = new Worker(file, { workerData, execArgv: file.endsWith('.ts') ? ['--import', 'tsx'] : [] });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (message: HealthWorkerMessage) =>
      'listening' in message
        ? resolve(message.listening)
        : reject(new Error(`health port: ${message.failed}`)),
    );
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`health port: the worker exited with ${code}`)));
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
  worker.unref();
  const beat = setInterval(() => {
    Atomics.add(counter, 0, 1);
    const now = options.readiness();
    if (now === notReady) return;
    notReady = now;
    worker.postMessage({ notReady } satisfies ReadinessMessage);
  }, BEAT_MS).unref();
  return {
    port,
    close: async () => {
      clearInterval(beat);
      await worker.terminate();
    },
  };
}
