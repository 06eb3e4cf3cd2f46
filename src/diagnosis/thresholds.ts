/**
 * Thresholds from the seed guide, shared by every diagnosis (agent diagnose, health, message, performance)
 * and the monitor. Units are in the names. Reconstructed as a union after a write collision between
 * issue #4 and #7 — owners of a field: adjust its default here if it differs from what you meant.
 */
export interface Thresholds {
  /** Average handler latency above which an agent is slow (seed: 2 s). */
  readonly avgResponseMs: number;
  /** p95 latency warning level, ms. */
  readonly p95ResponseMs: number;
  /** Error rate over the stats window above which an agent is failing (seed: 5 %). */
  readonly errorRate: number;
  /** Errors in the last hour above which the health check warns (seed script: 0). */
  readonly errorsLastHour: number;
  /** Recent errors in the diagnose window above which the errors check warns. */
  readonly recentErrors: number;
  /** Process memory (RSS) above which memory is high, MB (seed: 512). */
  readonly memoryMb: number;
  /** Host memory percent (seed script: 80 %, §4.2: 85 %). */
  readonly memoryPercent: number;
  /** CPU percent (seed: 80 %). */
  readonly cpuPercent: number;
  /** Disk percent (seed: 80 %). */
  readonly diskPercent: number;
  /** In-flight / max in-flight above which concurrency is saturated (seed: 90 %). */
  readonly concurrencyRatio: number;
  /** Max concurrency assumed when none is configured (seed: 100). */
  readonly defaultMaxConcurrency: number;
  /** Leak: RSS slope relative to mean RSS, per minute (seed: 0.1). */
  readonly leakSlopePerMin: number;
  /** Leak: ignore RSS samples this long after start, s. */
  readonly leakWarmupS: number;
  /** Leak: judge only samples spanning at least this long, s. */
  readonly leakMinSpanS: number;
  /** Runtime queue depth above which messages back up (seed: 10). */
  readonly queueDepth: number;
  /** Messages waiting or in flight for one agent above which it is backlogged (seed: 10). */
  readonly backlog: number;
  /** Average message delivery latency, ms (seed: 100 ms). */
  readonly messageLatencyMs: number;
  /** Slow database call, ms (seed: 0.5 s). */
  readonly slowDatabaseMs: number;
  /** Slow external API call, ms (seed: 1 s). */
  readonly slowExternalMs: number;
  /** Log analysis: error patterns seen fewer times than this are listed apart as sporadic (seed §3.2: 3). */
  readonly rarePatternCount: number;
  /** Log analysis: errors of two agents this close in time (ms) count as correlated. */
  readonly correlationWindowMs: number;
  /** Log analysis: the longest window a user may ask for, hours (the bridge refuses more than 24). */
  readonly maxLogWindowH: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = Object.freeze({
  avgResponseMs: 2_000,
  p95ResponseMs: 2_000,
  errorRate: 0.05,
  errorsLastHour: 0,
  recentErrors: 0,
  memoryMb: 512,
  memoryPercent: 85,
  cpuPercent: 80,
  diskPercent: 80,
  concurrencyRatio: 0.9,
  defaultMaxConcurrency: 100,
  leakSlopePerMin: 0.1,
  leakWarmupS: 30,
  leakMinSpanS: 30,
  queueDepth: 10,
  backlog: 10,
  messageLatencyMs: 100,
  slowDatabaseMs: 500,
  slowExternalMs: 1_000,
  rarePatternCount: 3,
  correlationWindowMs: 2_000,
  maxLogWindowH: 24,
});
