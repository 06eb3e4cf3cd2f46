/**
 * Which window an agent's figures are judged on. The bridge keeps a short recent window (default 60 s)
 * beside its long statistics window (default 300 s); the recent one shows a change within a minute, so it
 * is preferred whenever it saw traffic. One choice for `diagnose`, `perf` and the reports' wording.
 */
import type { AgentSummary, LatencyStats, RuntimeInfo } from '../runtime/schemas.js';
import { formatMs } from './quantities.js';

export interface JudgedWindow {
  readonly latency: LatencyStats | undefined;
  readonly errorRate: number;
  /** "the last 1 min" */
  readonly label: string;
  readonly recent: boolean;
}

export function judgedWindow(a: Pick<AgentSummary, 'recent' | 'latency_ms' | 'error_rate'>, info: Pick<RuntimeInfo, 'stats_window_s'> | undefined): JudgedWindow {
  const r = a.recent;
  if (r && r.count > 0) {
    return { latency: r.latency_ms ?? undefined, errorRate: r.error_rate, label: `the last ${formatMs(r.window_s * 1000)}`, recent: true };
  }
  return { latency: a.latency_ms ?? undefined, errorRate: a.error_rate ?? 0, label: `the last ${formatMs((info?.stats_window_s ?? 300) * 1000)}`, recent: false };
}

/** The worse of p95 and p99 with its name, for the tail-latency check. */
export function worstTail(lat: LatencyStats): { readonly name: 'p95' | 'p99'; readonly ms: number } {
  const p95 = lat.p95 ?? 0;
  const p99 = lat.p99 ?? 0;
  return p99 > p95 ? { name: 'p99', ms: p99 } : { name: 'p95', ms: p95 };
}
