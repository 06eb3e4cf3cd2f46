/**
 * Thresholds from the seed guide, shared by every diagnosis (agent diagnose, health, message, performance)
 * and the monitor. Units are in the names. Reconstructed as a union after a write collision between
 * issue #4 and #7 — owners of a field: adjust its default here if it differs from what you meant.
 */
import { z } from 'zod';

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
  /** Memory percent (runtime process share of host memory): the health check's limit (seed §5.1 script: 80 %; §4.2 uses 85 %). */
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
  memoryPercent: 80,
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

// --- configuration: defaults for every runtime, overrides per runtime ----------------------------------------

const nonNegative = z.number().finite().nonnegative();
const share = nonNegative.max(1);

/** A partial threshold set as JSON in the environment; unknown names are errors (a typo must not keep a default). */
export const ThresholdOverrides = z.strictObject({
  avgResponseMs: nonNegative, p95ResponseMs: nonNegative, errorRate: share, errorsLastHour: nonNegative,
  recentErrors: nonNegative, memoryMb: nonNegative, memoryPercent: nonNegative.max(100), cpuPercent: nonNegative,
  diskPercent: nonNegative.max(100), concurrencyRatio: share, defaultMaxConcurrency: nonNegative.min(1),
  leakSlopePerMin: nonNegative, leakWarmupS: nonNegative, leakMinSpanS: nonNegative, queueDepth: nonNegative,
  backlog: nonNegative, messageLatencyMs: nonNegative, slowDatabaseMs: nonNegative, slowExternalMs: nonNegative,
  rarePatternCount: z.number().int().min(1), correlationWindowMs: nonNegative, maxLogWindowH: z.number().positive().max(24),
} satisfies Record<keyof Thresholds, z.ZodType<number>>).partial();

/** The `thresholds` section of the configuration. */
export interface ThresholdConfig {
  /** `DEFAULT_THRESHOLDS` with `AUTOGEN_THRESHOLDS` applied. */
  readonly defaults: Thresholds;
  /** Per runtime: the defaults with `AUTOGEN_RUNTIME_<NAME>_THRESHOLDS` applied (only runtimes that set it). */
  readonly byRuntime: Readonly<Record<string, Thresholds>>;
}

/** `AUTOGEN_RUNTIME_<NAME>_THRESHOLDS` */
export function runtimeThresholdsVar(runtime: string): string {
  return `AUTOGEN_RUNTIME_${runtime.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_THRESHOLDS`;
}

function readOverrides(varName: string, raw: string | undefined, problems: string[]): Partial<Thresholds> {
  if (raw === undefined || raw.trim() === '') return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    problems.push(`${varName}: must be a JSON object such as {"avgResponseMs": 3000}`);
    return {};
  }
  const parsed = ThresholdOverrides.safeParse(json);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${varName}: ${issue.path.join('.') || '(object)'}: ${issue.message}`);
    return {};
  }
  return Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined)) as Partial<Thresholds>;
}

/**
 * Builds the thresholds section from the environment given by `loadConfig` (it stays the only reader of
 * `process.env`): `AUTOGEN_THRESHOLDS` over the guide's defaults, then each runtime's own variable.
 */
export function thresholdConfigFrom(env: Readonly<Record<string, string | undefined>>, runtimes: readonly string[], problems: string[]): ThresholdConfig {
  const defaults: Thresholds = { ...DEFAULT_THRESHOLDS, ...readOverrides('AUTOGEN_THRESHOLDS', env['AUTOGEN_THRESHOLDS'], problems) };
  const byRuntime: Record<string, Thresholds> = {};
  for (const name of runtimes) {
    const v = runtimeThresholdsVar(name);
    if (env[v] !== undefined) byRuntime[name] = { ...defaults, ...readOverrides(v, env[v], problems) };
  }
  return { defaults, byRuntime };
}

/** The thresholds that apply to one runtime. */
export function thresholdsFor(config: { readonly thresholds?: ThresholdConfig }, runtime: string): Thresholds {
  const t = config.thresholds;
  if (!t) return DEFAULT_THRESHOLDS;
  return Object.prototype.hasOwnProperty.call(t.byRuntime, runtime) ? t.byRuntime[runtime]! : t.defaults;
}
