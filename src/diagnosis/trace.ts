/**
 * `/autogen trace <message_id>` — the guide's message-flow trace (§7.2): the path of one message across
 * agents with timings and outcome, where the time went, and where it failed. Pure.
 */
import { agentTypeOf } from '../identifiers.js';
import type { MessageRecord, RuntimeInfo, Trace } from '../runtime/schemas.js';
import type { Finding } from './classify.js';
import { readErrorSignal } from './error-signals.js';
import { assembleReport, type GuideReport, type ReportAttachment, type ReportSection } from './guide-report.js';
import { formatMs, plural, toMs } from './quantities.js';
import type { Thresholds } from './thresholds.js';

export interface TraceInput {
  readonly runtime: string;
  readonly trace: Trace;
  readonly info?: RuntimeInfo | null;
  readonly thresholds: Thresholds;
  readonly now: Date;
}

export interface TraceHop {
  readonly index: number;
  readonly record: MessageRecord;
  /** Start relative to the first hop, ms. */
  readonly offsetMs: number;
  readonly durationMs: number | null;
  /** Duration minus the time spent in hops started while handling it (its children), ms. */
  readonly selfMs: number | null;
  readonly depth: number;
}

/** Hops in time order with offsets, nesting depth and self time. */
export function layoutTrace(trace: Trace): TraceHop[] {
  const hops = [...trace.hops].sort((a, b) => toMs(a.started_at) - toMs(b.started_at));
  const t0 = toMs(hops[0]?.started_at);
  const spans = hops.map((h) => {
    const start = toMs(h.started_at);
    const end = h.duration_ms != null ? start + h.duration_ms : toMs(h.finished_at);
    return { start, end };
  });
  const parentOf = hops.map((h, i) => {
    // The bridge names the message being handled when this one was sent (`parent_id`); a publish shares
    // its id across deliveries, so pick the delivery to the agent that sent this hop.
    const parentId = (h as Record<string, unknown>)['parent_id'];
    if (typeof parentId === 'string') {
      const sender = agentTypeOf(h.sender);
      let fallback = -1;
      for (let j = i - 1; j >= 0; j--) {
        if (hops[j]!.message_id !== parentId) continue;
        if (agentTypeOf(hops[j]!.recipient) === sender) return j;
        if (fallback === -1) fallback = j;
      }
      if (fallback !== -1) return fallback;
    }
    // Otherwise: the innermost earlier hop whose recipient sent this one, and whose span contains its start.
    for (let j = i - 1; j >= 0; j--) {
      const p = hops[j]!;
      const s = spans[j]!;
      const sender = agentTypeOf(h.sender);
      if (sender && sender === agentTypeOf(p.recipient) && s.start <= spans[i]!.start && (!Number.isFinite(s.end) || spans[i]!.start <= s.end)) return j;
    }
    return -1;
  });
  const depth: number[] = [];
  parentOf.forEach((p, i) => (depth[i] = p === -1 ? 0 : (depth[p] ?? 0) + 1));
  return hops.map((h, i) => {
    const duration = h.duration_ms ?? null;
    const childTime = hops.reduce((sum, c, k) => (parentOf[k] === i ? sum + (c.duration_ms ?? 0) : sum), 0);
    return {
      index: i,
      record: h,
      offsetMs: Number.isFinite(spans[i]!.start) && Number.isFinite(t0) ? spans[i]!.start - t0 : 0,
      durationMs: duration,
      selfMs: duration != null ? Math.max(0, duration - childTime) : null,
      depth: depth[i] ?? 0,
    };
  });
}

const OUTCOME_MARK: Readonly<Record<string, string>> = { ok: '✅', error: '❌', refused: '❌', pending: '⏳', held: '⏸️' };

export function hopLine(h: TraceHop): string {
  const r = h.record;
  const mark = OUTCOME_MARK[r.outcome] ?? '•';
  const indent = '  '.repeat(Math.min(h.depth, 6));
  const duration = h.durationMs != null ? ` in ${formatMs(h.durationMs)}` : '';
  const self = h.selfMs != null && h.durationMs != null && h.selfMs !== h.durationMs ? ` (self ${formatMs(h.selfMs)})` : '';
  const err = r.error ? ` — ${r.error}` : '';
  return `${indent}+${formatMs(h.offsetMs)} ${mark} ${r.sender ?? '(external)'} → ${r.recipient ?? '?'} ${r.message_type ?? '?'} [${r.kind ?? 'send'}] ${r.outcome}${duration}${self}${err}`;
}

/** Hops shown in the message; longer traces go to the attached file. */
export const MAX_HOP_LINES = 25;

export function traceReport(input: TraceInput): GuideReport {
  const { trace, thresholds: t } = input;
  const hops = layoutTrace(trace);
  const findings: Finding[] = [];
  // Errors travel back up the call chain: the failure is where it started, the deepest failed hop.
  const failed = hops
    .filter((h) => h.record.outcome === 'error' || h.record.outcome === 'refused')
    .reduce<TraceHop | undefined>((deepest, h) => (deepest === undefined || h.depth > deepest.depth ? h : deepest), undefined);
  const stuck = hops.find((h) => h.record.outcome === 'pending' || h.record.outcome === 'held');
  const root = hops[0];
  const totalMs = root?.durationMs ?? hops.reduce((m, h) => Math.max(m, h.offsetMs + (h.durationMs ?? 0)), 0);
  if (failed) {
    const r = failed.record;
    const signal = r.outcome === 'refused' && !r.error
      ? { category: 'message_delivery' as const, meaning: 'the recipient refused it', fix: ['Check whether the recipient is isolated or shed (`/autogen inspect`)'] }
      : readErrorSignal({ message: r.error ?? r.outcome, dependencies: input.info?.dependencies ?? [] });
    findings.push({
      check: 'trace.outcome',
      status: 'fail',
      category: signal.category,
      title: `Failed at hop ${failed.index + 1}: ${agentTypeOf(r.recipient) ?? '?'} (${signal.meaning})`,
      evidence: `${r.message_type ?? 'message'} ${r.outcome}${r.error ? `: ${r.error}` : ''}`,
      fix: signal.fix,
      subject: agentTypeOf(r.recipient) ?? undefined,
    });
  } else if (stuck) {
    const r = stuck.record;
    const waited = input.now.getTime() - toMs(r.started_at);
    findings.push({
      check: 'trace.outcome',
      status: 'warn',
      category: 'message_delivery',
      title: `Still ${r.outcome} at hop ${stuck.index + 1}: ${agentTypeOf(r.recipient) ?? '?'}`,
      evidence: `${r.message_type ?? 'message'} waiting for ${Number.isFinite(waited) ? formatMs(waited) : 'an unknown time'}`,
      fix: r.outcome === 'held'
        ? ['The recipient is isolated in hold mode: release it to deliver held messages']
        : ['Check the recipient\'s backlog with `/autogen message` and its speed with `/autogen perf`'],
      subject: agentTypeOf(r.recipient) ?? undefined,
    });
  } else {
    findings.push({
      check: 'trace.outcome',
      status: 'ok',
      category: 'message_delivery',
      title: `Delivered across ${plural(hops.length, 'hop')}`,
      evidence: `every hop ok; total ${formatMs(totalMs)}`,
      fix: [],
    });
  }
  const slowest = [...hops].filter((h) => h.selfMs != null).sort((a, b) => (b.selfMs ?? 0) - (a.selfMs ?? 0))[0];
  if (slowest && totalMs > 0) {
    const slow = totalMs > t.avgResponseMs;
    findings.push({
      check: 'trace.timing',
      status: slow ? 'warn' : 'ok',
      category: 'performance',
      title: slow ? `Slow end to end: most time in ${agentTypeOf(slowest.record.recipient) ?? '?'}` : 'End-to-end time normal',
      evidence: `total ${formatMs(totalMs)} (threshold ${formatMs(t.avgResponseMs)}); ${agentTypeOf(slowest.record.recipient) ?? '?'} spent ${formatMs(slowest.selfMs ?? 0)} of it itself`,
      fix: slow ? [`Profile ${agentTypeOf(slowest.record.recipient) ?? 'the slow agent'} with \`/autogen perf\``, 'Turn blocking operations into async ones'] : [],
      subject: agentTypeOf(slowest.record.recipient) ?? undefined,
      severity: totalMs / t.avgResponseMs,
    });
  }
  const shown = hops.slice(0, MAX_HOP_LINES).map(hopLine);
  if (hops.length > MAX_HOP_LINES) shown.push(`… ${hops.length - MAX_HOP_LINES} more hops in the attached file`);
  const sections: ReportSection[] = [{ title: `Path (${plural(hops.length, 'hop')})`, lines: shown }];
  const attachment: ReportAttachment | undefined =
    hops.length > MAX_HOP_LINES
      ? {
          filename: `trace-${trace.message_id.replace(/[^\w.-]/g, '_').slice(0, 80)}.txt`,
          title: `Trace ${trace.message_id} (all hops)`,
          mimeType: 'text/plain',
          content: hops.map(hopLine).join('\n'),
        }
      : undefined;
  return assembleReport({
    tool: 'trace',
    runtime: input.runtime,
    subject: `Message ${trace.message_id}`,
    now: input.now,
    findings,
    sections,
    ...(attachment ? { attachment } : {}),
    collected: ['message trace'],
    verifyCommand: `/autogen trace ${trace.message_id} ${input.runtime}`,
    snapshotCommand: `/autogen snapshot ${input.runtime}`,
    healthyHeadline: `Message ${trace.message_id}: delivered across ${plural(hops.length, 'hop')} in ${formatMs(totalMs)}`,
  });
}
