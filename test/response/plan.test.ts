import { describe, expect, it } from 'vitest';
import { loadRunbookDir } from '../../src/response/runbook-loader.js';
import { matchRunbooks, matchRunbooksAcross, findRunbook } from '../../src/response/match.js';
import { buildPlan, canonicalJson, idempotencyKey, newPlanId, planHash, revertIdempotencyKey, withPredictions, type PlanInput } from '../../src/response/plan.js';
import { resolveTarget } from '../../src/response/targets.js';
import { agent, view } from './view-fixture.js';

const { runbooks } = loadRunbookDir('runbooks');
const rb = (id: string) => {
  const r = findRunbook(runbooks, id);
  if (!r) throw new Error(`no runbook ${id}`);
  return r;
};
const NOW = new Date('2026-01-02T03:04:05.000Z');

function input(over: Partial<PlanInput>): PlanInput {
  return {
    runbook: rb('agent-cascade-failure'),
    view: view([agent('ChatAgent'), agent('ToolAgent', { error_rate: 0.4 }), agent('PlannerAgent', { error_rate: 0.2 })]),
    subject: { agent: 'ChatAgent', agents: ['ChatAgent', 'ToolAgent'] },
    runtime: 'demo', incidentId: 'inc-1', requestedBy: 'U0ALICE', trigger: 'incident', matchReasons: ['alertname=AgentCascadeFailure'],
    planId: 'pl-abc-123', now: NOW, approvalTtlS: 900, channel: 'C0OPS', threadTs: '1700000000.000100',
    ...over,
  };
}

describe('runbook matching', () => {
  it('matches on labels or on findings, best first', () => {
    const m = matchRunbooks(runbooks, { labels: { alertname: 'AgentCascadeFailure', severity: 'critical' }, findings: [] });
    expect(m.map((x) => x.runbook.id)).toEqual(['agent-cascade-failure', 'critical-degradation']);
    expect(m[0]?.reasons).toEqual(['alertname=AgentCascadeFailure']);
  });

  it('a finding alone is enough when the runbook lists it', () => {
    const m = matchRunbooks(runbooks, { labels: {}, findings: ['dependency_unreachable'] });
    expect(m.map((x) => x.runbook.id)).toEqual(['network-partition']);
    expect(m[0]?.reasons).toEqual(['finding dependency_unreachable']);
  });

  it('nothing matches an unrelated incident', () => {
    expect(matchRunbooks(runbooks, { labels: { alertname: 'DiskFull' }, findings: ['storage'] })).toEqual([]);
  });

  it('across an incident\'s alerts: each runbook once, on the labels it matched best, with the diagnosis\' findings', () => {
    const sets = [{ alertname: 'AutoGenAgentErrors', severity: 'error' }, { alertname: 'AutoGenAgentHighErrorRate', severity: 'critical' }];
    const m = matchRunbooksAcross(runbooks, sets, ['agent.errors', 'diagnose.errors']);
    expect(m.map((x) => x.runbook.id)).toEqual(['agent-cascade-failure', 'critical-degradation']);
    expect(m[0]).toMatchObject({ labels: sets[1], reasons: ['alertname=AutoGenAgentHighErrorRate', 'finding agent.errors'] });
    // the first alert alone, without findings, matches nothing; with the diagnosis' findings it does
    expect(matchRunbooksAcross(runbooks, [sets[0]!], [])).toEqual([]);
    expect(matchRunbooksAcross(runbooks, [sets[0]!], ['cascade']).map((x) => x.runbook.id)).toEqual(['agent-cascade-failure']);
    expect(matchRunbooksAcross(runbooks, [], ['dependency_unreachable']).map((x) => x.runbook.id)).toEqual(['network-partition']);
  });

  it('finds a runbook by id or by scenario', () => {
    expect(findRunbook(runbooks, 'memory_exhaustion')?.id).toBe('memory-exhaustion');
    expect(findRunbook(runbooks, 'nope')).toBeUndefined();
  });
});

describe('target resolution', () => {
  const v = view([agent('A', { error_rate: 0.1, inflight: 3 }), agent('B', { error_rate: 0.5 }), agent('C', { error_rate: 0.01, latency_ms: { p95: 900 } }), agent('D', { error_rate: 0.9, isolated: true })]);
  it('failing agents: at or above the threshold, worst first, isolated ones skipped', () => {
    expect(resolveTarget({ select: 'failing_agents', min_error_rate: 0.05, limit: 5, origins_only: false }, v, { agents: [] })).toEqual({ ok: true, agentTypes: ['B', 'A'] });
    expect(resolveTarget({ select: 'failing_agents', min_error_rate: 0.05, limit: 1, origins_only: false }, v, { agents: [] })).toEqual({ ok: true, agentTypes: ['B'] });
    expect(resolveTarget({ select: 'failing_agents', min_error_rate: 0.95, limit: 5, origins_only: false }, v, { agents: [] })).toEqual({ ok: false, reason: 'no agent has an error rate of 95 % or more right now' });
  });
  it('cascade origins: agents whose failures are all explained by a failing dependency are left out', () => {
    const cascade = {
      ...view([agent('ChatAgent', { error_rate: 0.3 }), agent('PlannerAgent', { error_rate: 0.3 }), agent('RetrieverAgent', { error_rate: 0.3 })]),
      messages: {
        ChatAgent: [{ message_id: 'c1', outcome: 'error' }, { message_id: 'c0', outcome: 'ok' }],
        PlannerAgent: [{ message_id: 'p1', outcome: 'error', parent_id: 'c1' }],
        RetrieverAgent: [{ message_id: 'r1', outcome: 'error', parent_id: 'p1' }],
      },
    };
    expect(resolveTarget({ select: 'failing_agents', min_error_rate: 0.05, limit: 5, origins_only: true }, cascade, { agent: 'ChatAgent', agents: [] }))
      .toEqual({ ok: true, agentTypes: ['RetrieverAgent'] });
    expect(resolveTarget({ select: 'failing_agents', min_error_rate: 0.05, limit: 5, origins_only: false }, cascade, { agent: 'ChatAgent', agents: [] }))
      .toEqual({ ok: true, agentTypes: ['ChatAgent', 'PlannerAgent', 'RetrieverAgent'] });
  });

  it('an incident or runbook naming an AgentChat participant by <team>/<name> acts on its type of this start', () => {
    const tid = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    const team = { name: 'support', kind: 'RoundRobinGroupChat', id: tid };
    const v2 = view([{ ...agent(`triage_${tid}`, { error_rate: 0.8 }), name: 'triage', team }, { ...agent(`responder_${tid}`), name: 'responder', team }]);
    expect(resolveTarget({ select: 'incident_agent' }, v2, { agent: 'support/triage', agents: [] })).toEqual({ ok: true, agentTypes: [`triage_${tid}`] });
    expect(resolveTarget({ select: 'agent_type', agent_type: 'support/responder' }, v2, { agents: [] })).toEqual({ ok: true, agentTypes: [`responder_${tid}`] });
  });

  it('worst agent by a metric, unless the incident names one', () => {
    expect(resolveTarget({ select: 'worst_agent', by: 'latency_p95', prefer_incident: true }, v, { agents: [] })).toEqual({ ok: true, agentTypes: ['C'] });
    expect(resolveTarget({ select: 'worst_agent', by: 'inflight', prefer_incident: true }, v, { agent: 'B', agents: [] })).toEqual({ ok: true, agentTypes: ['B'] });
    expect(resolveTarget({ select: 'worst_agent', by: 'inflight', prefer_incident: false }, v, { agent: 'B', agents: [] })).toEqual({ ok: true, agentTypes: ['A'] });
  });
  it('incident agents must be registered', () => {
    expect(resolveTarget({ select: 'incident_agent' }, v, { agent: 'Ghost', agents: [] })).toEqual({ ok: false, reason: 'agent type Ghost is not registered in runtime demo' });
    expect(resolveTarget({ select: 'incident_agent' }, v, { agents: [] })).toEqual({ ok: false, reason: 'the incident names no agent' });
    expect(resolveTarget({ select: 'incident_agents' }, v, { agent: 'A', agents: ['Ghost', 'C'] })).toEqual({ ok: true, agentTypes: ['A', 'C'] });
  });
  it('unreachable dependents: agents calling a dependency that is down', () => {
    const net = view([agent('R', { dependency_calls: [{ name: 'vector-db' }] }), agent('S', { dependency_calls: [{ name: 'cache' }] })],
      { dependencies: [{ name: 'vector-db', reachable: false }, { name: 'cache', reachable: true }] });
    expect(resolveTarget({ select: 'unreachable_dependents' }, net, { agents: [] })).toEqual({ ok: true, agentTypes: ['R'] });
    expect(resolveTarget({ select: 'unreachable_dependents' }, view([agent('R')]), { agents: [] })).toEqual({ ok: false, reason: 'every dependency of the runtime is reachable' });
  });
});

describe('plan building', () => {
  it('cascade: one isolate call per failing agent with the exact bridge body and TTL', () => {
    const res = buildPlan(input({}));
    if (!res.ok) throw new Error(res.problems.join('; '));
    const { plan } = res;
    expect(plan.actions.map((a) => [a.action, a.target, a.path])).toEqual([
      ['isolate', 'ToolAgent', '/v1/actions/isolate'], ['isolate', 'PlannerAgent', '/v1/actions/isolate'],
    ]);
    expect(plan.actions[0]?.body).toEqual({ agent_type: 'ToolAgent', mode: 'refuse', ttl_s: 900, reason: 'autogen-ops plan pl-abc-123 (agent-cascade-failure)' });
    expect(plan.checks.map((c) => [c.check, c.targets])).toEqual([['isolated', ['ToolAgent', 'PlannerAgent']], ['no_deliveries', ['ToolAgent', 'PlannerAgent']]]);
    expect(plan.expiresAt).toBe('2026-01-02T03:19:05.000Z');
    expect(plan.approval).toEqual({ users: [], groups: ['S0AUTOGENSRE'], required: 1, autoRun: false });
    expect(plan.failureKey).toBe('agent-cascade-failure|demo|PlannerAgent,ToolAgent');
    expect(plan.hash).toMatch(/^[a-f0-9]{64}$/);
  });

  it('the hash is stable for the same content and changes when what runs changes', () => {
    const a = buildPlan(input({}));
    const b = buildPlan(input({ now: new Date(NOW.getTime() + 60_000) }));
    const c = buildPlan(input({ view: view([agent('ToolAgent', { error_rate: 0.4 })]) }));
    if (!a.ok || !b.ok || !c.ok) throw new Error('plans expected');
    expect(b.plan.hash).toBe(a.plan.hash);
    expect(c.plan.hash).not.toBe(a.plan.hash);
    // Predictions are shown, not bound: attaching them keeps the hash.
    const p = withPredictions(a.plan, [{ before: { isolated: false }, after: { isolated: true } }]);
    expect(planHash(p)).toBe(a.plan.hash);
  });

  it('says why a runbook cannot apply instead of building an empty plan', () => {
    const res = buildPlan(input({ view: view([agent('ChatAgent')]) }));
    expect(res).toEqual({ ok: false, problems: ['step 1 (isolate): no agent has an error rate of 5 % or more right now'] });
  });

  it('memory: clear caches on the runtime then restart the worst agent (the incident\'s own first)', () => {
    const res = buildPlan(input({ runbook: rb('memory-exhaustion'), subject: { agent: 'PlannerAgent', agents: [] } }));
    if (!res.ok) throw new Error(res.problems.join('; '));
    expect(res.plan.actions.map((a) => [a.action, a.target, a.temporary])).toEqual([['clear_caches', null, false], ['restart', 'PlannerAgent', false]]);
    expect(res.plan.actions[1]?.body).toMatchObject({ agent_type: 'PlannerAgent', agent_key: 'default' });
    expect(res.plan.checks.map((c) => [c.check, c.targets])).toEqual([['rss_not_growing', null], ['agent_running', ['PlannerAgent']]]);
  });

  it('network partition: one degrade call shedding the dependents; two approvers', () => {
    const v = view([agent('RetrieverAgent', { dependency_calls: [{ name: 'vector-db' }] }), agent('ChatAgent')], { dependencies: [{ name: 'vector-db', reachable: false }] });
    const res = buildPlan(input({ runbook: rb('network-partition'), view: v }));
    if (!res.ok) throw new Error(res.problems.join('; '));
    expect(res.plan.actions).toHaveLength(1);
    expect(res.plan.actions[0]?.body).toMatchObject({ features: [], agent_types: ['RetrieverAgent'], ttl_s: 900 });
    expect(res.plan.approval.required).toBe(2);
  });

  it('queue overflow: backpressure on the agent with most in flight', () => {
    const v = view([agent('ChatAgent', { inflight: 2 }), agent('ToolAgent', { inflight: 40 })]);
    const res = buildPlan(input({ runbook: rb('message-queue-overflow'), view: v, subject: { agents: [] } }));
    if (!res.ok) throw new Error(res.problems.join('; '));
    expect(res.plan.actions[0]?.body).toMatchObject({ agent_type: 'ToolAgent', max_inflight: 4, max_wait_s: 30, ttl_s: 900 });
  });

  it('idempotency keys differ per action and per plan, and fit the bridge\'s 200 chars', () => {
    const k0 = idempotencyKey('pl-a', 'h', 0);
    expect(k0).toBe(idempotencyKey('pl-a', 'h', 0));
    expect(new Set([k0, idempotencyKey('pl-a', 'h', 1), idempotencyKey('pl-b', 'h', 0), revertIdempotencyKey('pl-a', 'h', 0)]).size).toBe(4);
    expect(k0.length).toBeLessThanOrEqual(200);
  });

  it('canonical JSON sorts keys and plan ids are safe BullMQ job ids', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
    const id = newPlanId(NOW, 'X_y-Z9!!');
    expect(id).toMatch(/^pl-[a-z0-9]+-[a-z0-9]+$/);
    expect(id).not.toContain(':');
  });
});

describe('findings read off the runtime', () => {
  it('names the seed scenarios a reading shows', async () => {
    const { findingsFromView } = await import('../../src/response/findings.js');
    expect(findingsFromView(view([agent('A', { error_rate: 0.2 }), agent('B', { error_rate: 0.1 })]), 'A')).toEqual(['agent.errors', 'cascade']);
    expect(findingsFromView(view([agent('A', { construction_errors: 2, latency_ms: { p95: 3000 } })], { queue_depth: 40, dependencies: [{ name: 'db', reachable: false }] }), 'A'))
      .toEqual(['agent_creation', 'dependency_unreachable', 'queue_backlog', 'timeout']);
    expect(findingsFromView(view([], { rss_bytes: 600 * 1024 * 1024 }), undefined, undefined, [
      { ts: '2026-01-01T00:00:00Z', rss_bytes: 100 * 1024 * 1024 }, { ts: '2026-01-01T00:00:30Z', rss_bytes: 300 * 1024 * 1024 },
    ])).toEqual(['memory_growth', 'memory_high']);
    expect(findingsFromView(view([agent('A')]), 'A')).toEqual([]);
  });

  it('names what a diagnosis report established', async () => {
    const { findingsOfReport } = await import('../../src/response/findings.js');
    const check = (id: string, status: 'ok' | 'warn' | 'fail', category: string) => ({ id, title: id, status, category, summary: '', evidence: [] }) as never;
    expect(findingsOfReport({ verdict: 'failing', checks: [check('cascade', 'fail', 'network'), check('errors', 'fail', 'business_logic'), check('runtime', 'ok', 'network')] }))
      .toEqual(['agent.errors', 'business_logic', 'cascade', 'diagnose.cascade', 'diagnose.errors', 'network']);
    // a few errors under the rate: the errors check warns, but the error rate is not established
    expect(findingsOfReport({ verdict: 'degraded', checks: [check('errors', 'warn', 'business_logic')] })).toEqual(['business_logic', 'diagnose.errors']);
    expect(findingsOfReport({ verdict: 'unreachable', checks: [check('runtime', 'fail', 'network')] })).toEqual([]);
  });
});
