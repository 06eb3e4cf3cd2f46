/**
 * The verdict on a plan: the action's effect AND the incident's symptom (resolved / mitigated / not
 * effective / unresolved), over the agents acted on, the incident's and the callers of those acted on.
 */
import { describe, expect, it } from 'vitest';
import { heldState, judgeRecovery, symptomAgents, windowOf, type RecoveryInput } from '../../src/response/recovery.js';
import type { AgentView, RecentView, RuntimeView } from '../../src/response/runtime-view.js';
import { agent, view } from './view-fixture.js';

const NOW = new Date('2026-01-02T03:04:05.000Z');
const recent = (over: Partial<RecentView> = {}): RecentView => ({ window_s: 60, count: 0, errors: 0, refused: 0, error_rate: 0, ...over });

/** The front agent calls the origin; the bridge's message graph knows it as the origin's caller. */
function fleet(front: Partial<AgentView>, origin: Partial<AgentView>, runtime: Partial<RuntimeView['runtime']> = {}): RuntimeView {
  return view([
    agent('FrontAgent', { handled_total: 1000, errors_total: 900, refused_total: 0, ...front }),
    agent('OriginAgent', { handled_total: 500, errors_total: 400, refused_total: 0, callers: [{ agent_type: 'FrontAgent', count: 50, errors: 0, refused: 50 }], ...origin }),
  ], runtime);
}

const baseline = fleet({}, { isolated: true });

function input(current: RuntimeView, over: Partial<RecoveryInput> = {}): RecoveryInput {
  return {
    stage: 'after_action', actionsEffective: true, actedOn: ['OriginAgent'], incidentAgents: ['FrontAgent'], reference: baseline, current,
    elapsedS: 12, errorRate: 0.05, now: NOW, ...over,
  };
}

describe('the verdict table', () => {
  it('the action did not take effect: not effective, whatever the symptom', () => {
    const j = judgeRecovery(input(fleet({ handled_total: 1040, errors_total: 900 }, {}), { actionsEffective: false }));
    expect(j).toMatchObject({ verdict: 'not_effective', summary: 'The action did not take effect (see the checks below).' });
  });

  it('the origin is isolated and its caller still fails: mitigated, cause still present — with the bridge\'s refusals', () => {
    const current = fleet({ handled_total: 1040, errors_total: 940 }, { isolated: true, refused_total: 40 });
    const j = judgeRecovery(input(current));
    expect(j.verdict).toBe('mitigated');
    expect(j.summary).toBe('The action took effect, but FrontAgent still fails: the cause is still present.');
    expect(j.confirmed).toBe(true);
    expect(j.symptoms.map((s) => s.evidence)).toEqual([
      'OriginAgent (acted on): isolated — 0 handled, 40 refused in the 12 s since the action; silent because isolated, not healthy',
      'FrontAgent (incident, caller): 40 of 40 failed in the 12 s since the action (100.0 %, over 5.0 % — still failing)',
    ]);
  });

  it('the origin is isolated and its caller recovered: still only mitigated — an isolated agent\'s silence is not health', () => {
    const current = fleet({ handled_total: 1040, errors_total: 900 }, { isolated: true, refused_total: 40 });
    const j = judgeRecovery(input(current));
    expect(j.verdict).toBe('mitigated');
    expect(j.summary).toContain('OriginAgent is isolated: silent, not healthy');
    expect(j.symptoms.find((s) => s.agent === 'FrontAgent')).toMatchObject({ failing: false, evidence: 'FrontAgent (incident, caller): 0 of 40 failed in the 12 s since the action (0.0 %, at most 5.0 %)' });
  });

  it('a degraded (shed) origin is held too', () => {
    const current = fleet({ handled_total: 1040, errors_total: 900 }, {}, { degraded: { active: true, features: [], agent_types: ['OriginAgent'] } });
    expect(judgeRecovery(input(current)).verdict).toBe('mitigated');
    expect(heldState(current, current.agents[1]!)).toBe('degraded');
  });

  it('nothing held and the callers no longer fail: resolved', () => {
    const current = fleet({ handled_total: 1040, errors_total: 901 }, { handled_total: 540, errors_total: 400 });
    const j = judgeRecovery(input(current, { reference: fleet({}, {}) }));
    expect(j).toMatchObject({ verdict: 'resolved', confirmed: true });
    expect(j.summary).toBe('OriginAgent, FrontAgent handle messages without failing.');
  });

  it('nothing went through yet: resolved but not confirmed (a later look decides)', () => {
    const j = judgeRecovery(input(fleet({}, {}), { reference: fleet({}, {}) }));
    expect(j).toMatchObject({ verdict: 'resolved', confirmed: false });
    expect(j.summary).toContain('no message went through them yet');
  });

  it('after the release the callers fail again: unresolved', () => {
    const current = fleet({ handled_total: 1040, errors_total: 940 }, { handled_total: 540, errors_total: 440 });
    const j = judgeRecovery(input(current, { stage: 'after_release', reference: fleet({}, {}) }));
    expect(j.verdict).toBe('unresolved');
    expect(j.summary).toBe('The temporary actions ended and OriginAgent, FrontAgent fail again: the cause is still present.');
    expect(j.symptoms[0]?.evidence).toContain('in the 12 s since the release');
  });

  it('a plan that names no agent falls back to its checks', () => {
    const j = judgeRecovery(input(view([]), { actedOn: [], incidentAgents: [] }));
    expect(j).toMatchObject({ verdict: 'resolved', confirmed: true, symptoms: [] });
  });

  it('an agent gone from the runtime is said so, and not judged', () => {
    const j = judgeRecovery(input(fleet({ handled_total: 1040, errors_total: 900 }, {}), { incidentAgents: ['Ghost'] }));
    expect(j.symptoms.find((s) => s.agent === 'Ghost')).toMatchObject({ failing: false, window: null, evidence: 'Ghost (incident): not found in the runtime' });
  });
});

describe('the window an agent is judged over', () => {
  const before = agent('A', { handled_total: 100, errors_total: 10, refused_total: 5, inflight: 2 });

  it('shortly after the reference: the counters since then, messages in flight at the reference left out', () => {
    const now = agent('A', { handled_total: 130, errors_total: 22, refused_total: 9, recent: recent({ count: 300, errors: 250 }) });
    expect(windowOf(now, before, 10)).toEqual({ source: 'since_reference', seconds: 10, handled: 28, errors: 10, refused: 4 });
  });

  it('once the recent window lies after the reference: the recent window (current health)', () => {
    const now = agent('A', { handled_total: 900, errors_total: 500, recent: recent({ count: 60, errors: 0, refused: 3 }) });
    expect(windowOf(now, before, 61)).toEqual({ source: 'recent', seconds: 60, handled: 60, errors: 0, refused: 3 });
  });

  it('a bridge without counters or a recent window: the long statistics window, refusals unknown (never "0 refused")', () => {
    const old: AgentView = { type: 'A', registered: true, error_rate: 0.5, latency_ms: { count: 40 } };
    const w = windowOf(old, undefined, 10);
    expect(w).toEqual({ source: 'stats', seconds: null, handled: 40, errors: 20, refused: null });
    const j = judgeRecovery(input(view([old]), { actedOn: ['A'], incidentAgents: [], reference: null }));
    expect(j.symptoms[0]?.evidence).toBe('A (acted on): 20 of 40 failed in the bridge\'s statistics window (50.0 %, over 5.0 % — still failing)');
  });
});

describe('whose figures decide', () => {
  it('the callers come from the bridge\'s message graph, or else from the senders of the deliveries read', () => {
    const graph = fleet({}, {});
    expect(symptomAgents(['OriginAgent'], [], graph)).toEqual([{ agent: 'OriginAgent', roles: ['acted on'] }, { agent: 'FrontAgent', roles: ['caller'] }]);
    const logOnly: RuntimeView = {
      ...view([agent('OriginAgent'), agent('Planner')]),
      messages: { OriginAgent: [{ message_id: 'm1', sender: 'Planner/default', recipient: 'OriginAgent/default', outcome: 'refused' }, { message_id: 'm2', sender: null, outcome: 'ok' }] },
    };
    expect(symptomAgents(['OriginAgent'], ['Planner'], logOnly)).toEqual([{ agent: 'OriginAgent', roles: ['acted on'] }, { agent: 'Planner', roles: ['incident', 'caller'] }]);
  });
});
