/** Seed performance checks: latency (avg > 2 s), concurrency saturation (> 90 %), queue backlog (> 10). */
import type { Check } from '../report.js';
import type { Category } from '../classify.js';
import type { Thresholds } from '../thresholds.js';
import { pct, type DiagnosisInput } from '../input.js';

export function checkPerformance(input: DiagnosisInput, t: Thresholds): Check {
  const base = { id: 'performance', title: 'Performance' } as const;
  const d = input.detail;
  const lat = d?.latency_ms ?? undefined;
  const evidence: string[] = [];
  const problems: { status: 'warn' | 'fail'; category: Category; text: string; fix: string }[] = [];
  if (lat && lat.count > 0) {
    evidence.push(`Latency over ${lat.count} messages: avg ${Math.round(lat.avg ?? 0)} ms, p95 ${Math.round(lat.p95 ?? 0)} ms, max ${Math.round(lat.max ?? 0)} ms`);
    if ((lat.avg ?? 0) > t.avgResponseMs) problems.push({ status: 'fail', category: 'performance', text: `average latency ${Math.round(lat.avg ?? 0)} ms is above ${t.avgResponseMs} ms`, fix: 'Find the slow call in the handler (blocking I/O, slow external API); make it async, cache it or raise its timeout.' });
    else if ((lat.p95 ?? 0) > t.p95ResponseMs) problems.push({ status: 'warn', category: 'performance', text: `p95 latency ${Math.round(lat.p95 ?? 0)} ms is above ${t.p95ResponseMs} ms`, fix: 'Some messages are slow: check the slowest dependency calls.' });
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
  if (problems.length === 0) return { ...base, status: 'ok', category: 'performance', summary: 'Latency and load within the seed\'s thresholds.', evidence };
  const worst = problems.some((p) => p.status === 'fail') ? 'fail' : 'warn';
  const first = problems[0]!;
  return { ...base, status: worst, category: first.category, summary: `Slow: ${problems.map((p) => p.text).join('; ')}.`, evidence, suggestion: first.fix };
}
