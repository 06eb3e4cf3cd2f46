/** Seed check: recent errors and error rate (seed: > 5 % is failing). */
import type { Check } from '../report.js';
import type { Thresholds } from '../thresholds.js';
import { clip, pct, type DiagnosisInput } from '../input.js';
import { readErrorSignal } from '../error-signals.js';

export function checkRecentErrors(input: DiagnosisInput, t: Thresholds, now: Date): Check {
  const base = { id: 'errors', title: 'Recent errors' } as const;
  const since = now.getTime() - input.windowS * 1000;
  const recent = (input.detail?.recent_errors ?? []).filter((e) => {
    const ts = Date.parse(e.ts);
    return Number.isNaN(ts) || ts >= since;
  });
  const logErrors = input.logs.filter((r) => r.level === 'ERROR' || r.level === 'CRITICAL');
  const count = Math.max(recent.length, logErrors.length);
  const rate = input.detail?.error_rate ?? 0;
  const byType = new Map<string, number>();
  for (const e of recent) byType.set(e.exception_type ?? 'Exception', (byType.get(e.exception_type ?? 'Exception') ?? 0) + 1);
  const evidence: string[] = [];
  const minutes = Math.round(input.windowS / 60);
  evidence.push(`${count} error${count === 1 ? '' : 's'} in the last ${minutes} min; error rate ${pct(rate)} (threshold ${pct(t.errorRate)})`);
  const types = [...byType.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k} ×${v}`);
  if (types.length) evidence.push(`Exceptions: ${types.join(', ')}`);
  const newest = recent[0] ?? input.detail?.last_error ?? undefined;
  if (newest) evidence.push(`Latest: ${newest.exception_type ?? 'Exception'}: ${clip(newest.message ?? '', 160)}`);

  // what the newest error means, as the guide reads one error
  const category = newest ? readErrorSignal({ ...newest, dependencies: input.info?.dependencies }).category : 'business_logic';
  if (rate > t.errorRate) {
    return { ...base, category, status: 'fail', summary: `Error rate ${pct(rate)} is above ${pct(t.errorRate)}.`, evidence, suggestion: 'Fix the exception shown; until then consider isolating the agent so callers fail fast.' };
  }
  if (count > t.recentErrors) {
    return { ...base, category, status: 'warn', summary: `${count} recent error${count === 1 ? '' : 's'}, error rate within limits.`, evidence, suggestion: 'Look at the logs for the failing messages (Show logs).' };
  }
  return { ...base, status: 'ok', category: 'business_logic', summary: `No errors in the last ${minutes} min.`, evidence: [] };
}
