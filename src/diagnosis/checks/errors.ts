/**
 * The guide's check of recent errors and error rate (> 5 % is failing). Counts are the bridge's exact
 * counters; the error records it keeps are a sample, and say so. Refusals (an isolated, degraded or
 * backpressured agent turning messages away) are reported as refusals, never as the agent's own errors.
 */
import type { Check } from '../report.js';
import type { Thresholds } from '../thresholds.js';
import { clip, pct, type DiagnosisInput } from '../input.js';
import { readErrorSignal } from '../error-signals.js';
import { formatCount, formatMs } from '../quantities.js';
import { eventsOf } from '../../runtime/schemas.js';

/** The bridge's own refusal exceptions: what an isolated/degraded/backpressured agent answers with. */
const REFUSAL_TYPES = new Set(['AgentIsolatedError', 'AgentDegradedError', 'BackpressureTimeout', 'BackpressureTimeoutError']);

export function checkRecentErrors(input: DiagnosisInput, t: Thresholds, now: Date): Check {
  const base = { id: 'errors', title: 'Recent errors' } as const;
  const d = input.detail;
  const since = now.getTime() - input.windowS * 1000;
  const records = (d?.recent_errors ?? []).filter((e) => {
    const ts = Date.parse(e.ts);
    return !REFUSAL_TYPES.has(e.exception_type ?? '') && (Number.isNaN(ts) || ts >= since);
  });
  const statsWindowS = input.info?.stats_window_s ?? 300;
  const recent = d?.recent;
  // Prefer the short window when it saw traffic: it shows a change within a minute.
  const rate = recent && recent.count > 0 ? recent.error_rate : (d?.error_rate ?? 0);
  const rateWindow = recent && recent.count > 0 ? formatMs(recent.window_s * 1000) : formatMs(statsWindowS * 1000);
  const exact = d?.window_errors ?? undefined;
  const logErrors = input.logs.filter((r) => (r.level === 'ERROR' || r.level === 'CRITICAL') && !REFUSAL_TYPES.has(r.exception_type ?? ''));
  const evidence: string[] = [];
  // a log record may stand for more events than itself (the bridge samples under load)
  const count = exact ?? Math.max(records.length, logErrors.reduce((n, r) => n + eventsOf(r), 0));
  const countText = exact !== undefined
    ? `${formatCount(exact)} error${exact === 1 ? '' : 's'} in the last ${formatMs(statsWindowS * 1000)}`
    : `${records.length} error record${records.length === 1 ? '' : 's'} kept by the bridge in the last ${Math.round(input.windowS / 60)} min`;
  evidence.push(`${countText}; error rate ${pct(rate)} over the last ${rateWindow} (threshold ${pct(t.errorRate)})`);
  const refused = recent?.refused ?? 0;
  if (refused > 0) evidence.push(`${formatCount(refused)} message${refused === 1 ? '' : 's'} refused in the last ${formatMs((recent?.window_s ?? 60) * 1000)} (isolation, degrade or backpressure) — not counted as errors`);
  const byType = Object.entries(d?.errors_by_type ?? {}).sort((a, b) => b[1] - a[1]).slice(0, 3);
  if (byType.length) evidence.push(`Exceptions since the bridge started: ${byType.map(([k, v]) => `${k} ×${formatCount(v)}`).join(', ')}`);
  const newest = records[0] ?? (d?.last_error && !REFUSAL_TYPES.has(d.last_error.exception_type ?? '') ? d.last_error : undefined);
  if (newest) evidence.push(`Latest (${newest.ts.slice(11, 19)} UTC): ${newest.exception_type ?? 'Exception'}: ${clip(newest.message ?? '', 160)}`);

  // what the newest error means, as the guide reads one error
  const signal = newest ? readErrorSignal({ ...newest, dependencies: input.info?.dependencies }) : undefined;
  const category = signal?.category ?? 'business_logic';
  if (rate > t.errorRate) {
    const fix = signal?.fix[0] ? `${signal.fix[0]}.` : 'Fix the exception shown.';
    return { ...base, category, status: 'fail', summary: `Error rate ${pct(rate)} is above ${pct(t.errorRate)}.`, evidence, suggestion: `${fix} Until then consider isolating the agent so callers fail fast.`, explains: 0.5 };
  }
  if (count > t.recentErrors) {
    return { ...base, category, status: 'warn', summary: `${formatCount(count)} recent error${count === 1 ? '' : 's'}, error rate within limits.`, evidence, suggestion: 'Look at the logs for the failing messages (Show logs).', explains: 0.5 };
  }
  if (refused > 0) return { ...base, status: 'ok', category: 'business_logic', summary: `No errors of its own; ${formatCount(refused)} message${refused === 1 ? '' : 's'} refused.`, evidence };
  return { ...base, status: 'ok', category: 'business_logic', summary: `No errors in the last ${formatMs(statsWindowS * 1000)}.`, evidence: [] };
}
