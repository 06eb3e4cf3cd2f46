/** The guide's performance checks: latency (avg > 2 s, p95/p99), concurrency saturation (> 90 %), queue backlog (> 10). */
import type { Check } from '../report.js';
import type { Category } from '../classify.js';
import type { Thresholds } from '../thresholds.js';
import { pct, type DiagnosisInput } from '../input.js';
import { formatCount, formatMs } from '../quantities.js';
import { judgedWindow, worstTail } from '../windows.js';

export function checkPerformance(input: DiagnosisInput, t: Thresholds): Check {
  const base = { id: 'performance', title: 'Performance' } as const;
  const d = input.detail;
  const judged = judgedWindow(d ?? {}, input.info);
  const lat = judged.latency;
  const long = d?.latency_ms ?? undefined;
  const longWindowS = input.info?.stats_window_s ?? 300;
  const where = judged.label;
  const usedRecent = judged.recent;
  const evidence: string[] = [];
  const problems: { status: 'warn' | 'fail'; category: Category; text: string; fix: string }[] = [];
  if (lat && lat.count > 0) {
    evidence.push(`Latency over ${where} (${formatCount(lat.count)} message${lat.count === 1 ? '' : 's'}): avg ${formatMs(lat.avg ?? 0)}, p95 ${formatMs(lat.p95 ?? 0)}, p99 ${formatMs(lat.p99 ?? 0)}, max ${formatMs(lat.max ?? 0)}`);
    if (usedRecent && long && long.count > lat.count) evidence.push(`Over the last ${formatMs(longWindowS * 1000)} (${formatCount(long.count)} messages): avg ${formatMs(long.avg ?? 0)}, p95 ${formatMs(long.p95 ?? 0)}, p99 ${formatMs(long.p99 ?? 0)}`);
    const worst = worstTail(lat);
    const slowTail = worst.ms > t.p95ResponseMs ? worst : undefined;
    if ((lat.avg ?? 0) > t.avgResponseMs) problems.push({ status: 'fail', category: 'performance', text: `average latency ${formatMs(lat.avg ?? 0)} over ${where} is above ${formatMs(t.avgResponseMs)}`, fix: 'Find the slow call in the handler (blocking I/O, slow external API); make it async, cache it or raise its timeout.' });
    else if (slowTail) problems.push({ status: 'warn', category: 'performance', text: `${slowTail.name} latency ${formatMs(slowTail.ms)} over ${where} is above ${formatMs(t.p95ResponseMs)}`, fix: 'Some messages are slow: check the slowest dependency calls.' });
  } else {
    evidence.push('No messages handled in the stats window.');
  }
  const inflight = d?.inflight ?? 0;
  const max = d?.max_inflight ?? null;
  if (max && max > 0 && inflight / max > t.concurrencyRatio) {
    problems.push({ status: 'warn', category: 'performance', text: `in-flight ${inflight}/${max} (${pct(inflight / max)}) is near its limit`, fix: 'Raise the agent\'s max in-flight or add instances; check what holds messages.' });
  }
  const depth = input.info?.queue_depth ?? 0;
  if (depth > t.queueDepth) {
    evidence.push(`Runtime queue depth ${depth}`);
    problems.push({ status: 'warn', category: 'message_delivery', text: `runtime queue depth ${depth} is above ${t.queueDepth}`, fix: 'Messages back up: apply backpressure to the producer or scale the slow agent.' });
  }
  if (problems.length === 0) return { ...base, status: 'ok', category: 'performance', summary: 'Latency and load within the guide\'s thresholds (docs/commands.md).', evidence };
  const worst = problems.some((p) => p.status === 'fail') ? 'fail' : 'warn';
  const first = problems[0]!;
  return { ...base, status: worst, category: first.category, summary: `Slow: ${problems.map((p) => p.text).join('; ')}.`, evidence, suggestion: first.fix };
}
