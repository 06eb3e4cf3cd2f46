import { describe, expect, it } from 'vitest';
import type { MessageRecord } from '../../src/runtime/schemas.js';
import { GUIDE_FIXES } from '../../src/diagnosis/error-signals.js';
import { diagnoseMessage, type MessageInput } from '../../src/diagnosis/message.js';
import { DEFAULT_THRESHOLDS } from '../../src/diagnosis/thresholds.js';
import { agent, healthyAgents, isoAgo, message, NOW, runtimeInfo, summaries } from './fixtures.js';

function input(patch: Partial<MessageInput> = {}): MessageInput {
  const agents = healthyAgents();
  return {
    runtime: 'demo',
    from: 'ChatAgent',
    to: 'PlannerAgent',
    info: runtimeInfo(),
    agents: summaries(agents),
    recipient: agents[1]!,
    messages: [message('ChatAgent', 'PlannerAgent'), message('ChatAgent', 'PlannerAgent'), message('PlannerAgent', 'RetrieverAgent', { message_type: 'RetrieveRequest' })],
    thresholds: DEFAULT_THRESHOLDS,
    now: NOW,
    ...patch,
  };
}

function check(r: ReturnType<typeof diagnoseMessage>, id: string) {
  return r.findings.find((f) => f.check === id);
}

describe('message diagnosis (guide §2.2, §4.2)', () => {
  it('a healthy pair: both exist, reachable, handler present, no drops, low latency, no backlog', () => {
    const r = diagnoseMessage(input());
    expect(r.verdict.status).toBe('healthy');
    expect(r.findings.map((f) => f.check)).toEqual([
      'message.sender_exists', 'message.recipient_exists', 'message.reachable', 'message.handler',
      'message.serialisation', 'message.authorisation', 'message.drops', 'message.latency', 'message.backlog',
    ]);
    expect(check(r, 'message.handler')?.title).toBe('PlannerAgent has a handler for PlanRequest');
    expect(r.sections[0]?.lines).toHaveLength(2);
  });

  it('an unregistered recipient fails the existence check and skips the rest', () => {
    const r = diagnoseMessage(input({ to: 'GhostAgent', recipient: null }));
    expect(r.findings.map((f) => [f.check, f.status])).toEqual([['message.sender_exists', 'ok'], ['message.recipient_exists', 'fail']]);
    expect(r.classification?.category).toBe('agent_creation');
    expect(r.flow.fix).toEqual([GUIDE_FIXES.registerFactory]);
  });

  it('an isolated recipient is not reachable (message delivery)', () => {
    const agents = healthyAgents();
    const r = diagnoseMessage(input({ recipient: { ...agents[1]!, isolated: true } }));
    expect(check(r, 'message.reachable')).toMatchObject({ status: 'fail', category: 'message_delivery' });
  });

  it('a type without a handler fails, naming the handled types', () => {
    const r = diagnoseMessage(input({ messageType: 'ToolRequest' }));
    expect(check(r, 'message.handler')).toMatchObject({ status: 'fail', title: 'PlannerAgent has no handler for ToolRequest', evidence: 'handled types: PlanRequest' });
  });

  it('published messages to an agent without subscriptions fail the subscription check', () => {
    const agents = healthyAgents();
    const r = diagnoseMessage(input({ recipient: { ...agents[1]!, subscriptions: [] }, messages: [message('ChatAgent', 'PlannerAgent', { kind: 'publish' })] }));
    expect(check(r, 'message.subscribed')).toMatchObject({ status: 'fail', category: 'message_delivery' });
  });

  it('serialisation and authorisation failures between the two are found in deliveries and errors', () => {
    const agents = healthyAgents();
    const recipient = agent('PlannerAgent', {
      message_types: ['PlanRequest'],
      recent_errors: [{ ts: isoAgo(1000), exception_type: 'PermissionError', message: 'permission denied for tenant 4', message_type: 'PlanRequest' }],
    });
    const r = diagnoseMessage(input({
      recipient,
      agents: summaries(agents),
      messages: [message('ChatAgent', 'PlannerAgent', { outcome: 'error', error: 'TypeError: Object of type socket is not JSON serializable' })],
    }));
    expect(check(r, 'message.serialisation')).toMatchObject({ status: 'fail', fix: [GUIDE_FIXES.serialisation] });
    expect(check(r, 'message.authorisation')).toMatchObject({ status: 'fail', category: 'configuration' });
  });

  it('mostly timed-out deliveries are classified as timeouts with the guide\'s timeout fixes', () => {
    const msgs = [1, 2, 3].map(() => message('ChatAgent', 'PlannerAgent', { outcome: 'error', error: 'TimeoutError: timed out after 5 s', duration_ms: 5000 }));
    const r = diagnoseMessage(input({ messages: [...msgs, message('ChatAgent', 'PlannerAgent')] }));
    expect(check(r, 'message.drops')).toMatchObject({ status: 'fail', category: 'timeouts' });
    expect(check(r, 'message.drops')?.evidence).toMatch(/^3 of 4 recent \(0 refused, 3 timed out\)/);
    expect(check(r, 'message.latency')?.status).toBe('warn');
    expect(r.classification?.category).toBe('timeouts');
    expect(r.flow.fix[0]).toBe(GUIDE_FIXES.raiseTimeout);
  });

  it('latency is the time from send to handling (queued_ms) when the bridge reports it', () => {
    const msgs = [message('ChatAgent', 'PlannerAgent', { duration_ms: 900, queued_ms: 2 } as Partial<MessageRecord>)];
    const r = diagnoseMessage(input({ messages: msgs }));
    expect(check(r, 'message.latency')).toMatchObject({ status: 'ok', evidence: 'median 2 ms from send to handling over 1 delivery (average 2 ms, slowest 2 ms; threshold 100 ms)' });
  });

  it('latency above 100 ms warns', () => {
    const msgs = [message('ChatAgent', 'PlannerAgent', { duration_ms: 250 }), message('ChatAgent', 'PlannerAgent', { duration_ms: 150 })];
    const r = diagnoseMessage(input({ messages: msgs }));
    expect(check(r, 'message.latency')).toMatchObject({ status: 'warn', evidence: 'median 150 ms from send to handling over 2 deliveries (average 200 ms, slowest 250 ms; threshold 100 ms)' });
  });

  it('one slow delivery among fast ones does not make the link slow (judged on the median)', () => {
    const msgs = [5, 3, 4, 6, 5000].map((ms) => message('ChatAgent', 'PlannerAgent', { duration_ms: ms }));
    const r = diagnoseMessage(input({ messages: msgs }));
    expect(check(r, 'message.latency')).toMatchObject({ status: 'ok', evidence: 'median 5 ms from send to handling over 5 deliveries (average 1.0 s, slowest 5.0 s; threshold 100 ms)' });
  });

  it('a backlog above 10 for the recipient fails with backpressure as the fix', () => {
    const pending = Array.from({ length: 30 }, (_, i) => message('ChatAgent', 'PlannerAgent', { message_type: 'FloodMessage', outcome: i < 25 ? 'pending' : 'ok' }));
    const r = diagnoseMessage(input({ messages: pending }));
    expect(check(r, 'message.backlog')).toMatchObject({ status: 'fail', category: 'message_delivery', evidence: '25 messages waiting or in flight (threshold 10)' });
    expect(r.classification?.primary.check).toBe('message.backlog');
    expect(r.flow.fix[0]).toBe(GUIDE_FIXES.backpressure);
  });
});
