/** What the orchestrator (bench/run.ts) asks of a load generator process, and what it reports back. */

export interface LoadSpec {
  port: number;
  corpusDir: string;
  username: string;
  password: string;
  devicesPerMessage: number;
  warmupSeconds: number;
  seconds: number;
  /** Closed loop: this many clients, one request in flight each. */
  concurrency?: number;
  /** Open loop: requests due per second. */
  rate?: number;
  /** Open loop: the most connections it opens. */
  maxConnections: number;
  /** A request unanswered after this is given up (outcome TIMEOUT, the connection closed); unset: never. */
  timeoutMs?: number;
  /** Closed loop: after a 503 with Retry-After, the client waits that long before its next request. */
  honorRetryAfter?: boolean;
}

export interface LoadResult {
  /** Length of the measured window. */
  seconds: number;
  /** Requests sent while measuring, and of those the 200s answered while measuring. */
  sentMeasured: number;
  okMeasured: number;
  okPerSecond: number;
  /** Latency of the measured 200s; null when there were none. */
  latencyMs: { p50: number | null; p90: number | null; p99: number | null; max: number | null };
  /** Answers by status (or connection error code) of the measured window, and of the whole run. */
  statusesMeasured: Record<string, number>;
  statuses: Record<string, number>;
  /** Latency of every answer of the measured window, whatever its status (connection errors excluded). */
  answerLatencyMs: { p50: number | null; p99: number | null; max: number | null };
  /** The measured window's 503s that carried a Retry-After. */
  retryAfter503Measured: number;
  /** Every 503 of the run, warm-up and draining included, by its Retry-After value (`none` without one). */
  retryAfters503: Record<string, number>;
  /** Every 200 of the run, warm-up and draining included: what Kafka must hold. */
  okTotal: number;
  sentTotal: number;
  /** The generator's own CPU while measuring, in % of one core. */
  cpuPercent: number;
  meanBodyBytes: number;
  distinctRequests: number;
}
