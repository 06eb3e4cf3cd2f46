import { describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../src/runtime/schemas.js';
import { GUIDE_FIXES } from '../../src/diagnosis/error-signals.js';
import { DEFAULT_THRESHOLDS } from '../../src/diagnosis/thresholds.js';
import { layoutTrace, MAX_HOP_LINES, traceReport } from '../../src/diagnosis/trace.js';
import { NOW, runtimeInfo } from './fixtures.js';

const T0 = Date.parse('2026-01-10T11:59:00.000Z');

function hop(id: string, from: string | null, to: string, startMs: number, durationMs: number, patch: Partial<MessageRecord> = {}): MessageRecord {
  return {
    message_id: id,
    sender: from,
    recipient: to,
    message_type: `${to.split('/')[0]}Request`,
    kind: 'send',
    started_at: new Date(T0 + startMs).toISOString(),
    finished_at: new Date(T0 + startMs + durationMs).toISOString(),
    duration_ms: durationMs,
    outcome: 'ok',
    error: null,
    ...patch,
  };
}

/** Chat → Planner → (Retriever, Tool): the demo fleet's request path. */
function chain(patch: { tool?: Partial<MessageRecord>; toolMs?: number } = {}): MessageRecord[] {
  const toolMs = patch.toolMs ?? 20;
  return [
    hop('m-1', null, 'ChatAgent/default', 0, 60 + toolMs),
    hop('m-2', 'ChatAgent/default', 'PlannerAgent/default', 5, 50 + toolMs),
    hop('m-3', 'PlannerAgent/default', 'RetrieverAgent/default', 10, 15),
    hop('m-4', 'PlannerAgent/default', 'ToolAgent/default', 30, toolMs, patch.tool),
  ];
}

const base = { runtime: 'demo', info: runtimeInfo(), thresholds: DEFAULT_THRESHOLDS, now: NOW };

describe('trace (guide §7.2 message flow)', () => {
  it('lays hops out in time with nesting and self time', () => {
    const hops = layoutTrace({ message_id: 'm-1', hops: [...chain()].reverse() });
    expect(hops.map((h) => [h.record.message_id, h.offsetMs, h.depth, h.selfMs])).toEqual([
      ['m-1', 0, 0, 10],
      ['m-2', 5, 1, 35],
      ['m-3', 10, 2, 15],
      ['m-4', 30, 2, 20],
    ]);
  });

  it('uses the bridge\'s parent_id when present (a publish shares its id across deliveries)', () => {
    const hops = [
      hop('r', null, 'ChatAgent/default', 0, 50),
      hop('p', 'ChatAgent/default', 'conversation/default', 5, 1, { kind: 'publish', parent_id: 'r' } as Partial<MessageRecord>),
      hop('p', 'ChatAgent/default', 'ToolAgent/default', 6, 20, { kind: 'publish', parent_id: 'r' } as Partial<MessageRecord>),
      hop('t', 'ToolAgent/default', 'PlannerAgent/default', 7, 10, { parent_id: 'p' } as Partial<MessageRecord>),
    ];
    expect(layoutTrace({ message_id: 'r', hops }).map((h) => h.depth)).toEqual([0, 1, 1, 2]);
  });

  it('a delivered message: healthy, with its path', () => {
    const r = traceReport({ ...base, trace: { message_id: 'm-1', hops: chain() } });
    expect(r.verdict.status).toBe('healthy');
    expect(r.verdict.headline).toBe('Message m-1: delivered across 4 hops in 80 ms');
    expect(r.sections[0]?.lines[0]).toBe('+0 ms ✅ (external) → ChatAgent/default ChatAgentRequest [send] ok in 80 ms (self 10 ms)');
    expect(r.sections[0]?.lines[3]).toMatch(/^ {4}\+30 ms ✅ PlannerAgent\/default → ToolAgent\/default/);
  });

  it('a failed hop names the agent, the category and the fix', () => {
    const r = traceReport({ ...base, trace: { message_id: 'm-1', hops: chain({ tool: { outcome: 'error', error: "ModuleNotFoundError: No module named 'fancy_tools'" } }) } });
    expect(r.classification?.category).toBe('agent_creation');
    expect(r.classification?.primary.title).toBe('Failed at hop 4: ToolAgent (missing Python module `fancy_tools`)');
    expect(r.flow.fix[0]).toBe(GUIDE_FIXES.missingModule('fancy_tools'));
  });

  it('a slow path points at the agent that spent the time itself', () => {
    const r = traceReport({ ...base, trace: { message_id: 'm-1', hops: chain({ toolMs: 3000 }) } });
    const timing = r.findings.find((f) => f.check === 'trace.timing');
    expect(timing).toMatchObject({ status: 'warn', category: 'performance', subject: 'ToolAgent' });
  });

  it('a held message is still waiting (message delivery)', () => {
    const r = traceReport({ ...base, trace: { message_id: 'm-1', hops: chain({ tool: { outcome: 'held', duration_ms: null, finished_at: null } }) } });
    expect(r.findings[0]).toMatchObject({ check: 'trace.outcome', status: 'warn', category: 'message_delivery' });
  });

  it('a long trace shows the first hops and attaches all of them', () => {
    const hops = Array.from({ length: 60 }, (_, i) => hop(`m-${i}`, 'ChatAgent/default', 'ToolAgent/default', i * 10, 5));
    const r = traceReport({ ...base, trace: { message_id: 'm-0', hops } });
    expect(r.sections[0]?.lines).toHaveLength(MAX_HOP_LINES + 1);
    expect(r.attachment?.content.split('\n')).toHaveLength(60);
  });
});
