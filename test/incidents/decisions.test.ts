import { describe, expect, it } from 'vitest';
import { DEFAULT_GROUPING, cascadeOf, parseDependencies, scopeOf } from '../../src/incidents/grouping.js';
import { parseRoutes, routeChannel } from '../../src/incidents/routing.js';
import { INCIDENT_EVENTS, INCIDENT_STATES, TRANSITIONS, formatDuration, transition } from '../../src/incidents/state.js';

describe('grouping', () => {
  const rules = { ...DEFAULT_GROUPING, groupBy: ['cluster'], dependencies: [['ChatAgent', 'PlannerAgent'], ['PlannerAgent', 'ToolAgent']] as const };

  it('scopes by runtime and agent and the configured labels', () => {
    const a = scopeOf({ runtime: 'prod', agent_type: 'ChatAgent', cluster: 'eu', alertname: 'X' }, rules);
    const b = scopeOf({ runtime: 'prod', agent_type: 'ChatAgent', cluster: 'eu', alertname: 'Y', instance: 'i2' }, rules);
    const c = scopeOf({ runtime: 'prod', agent_type: 'ChatAgent', cluster: 'us', alertname: 'X' }, rules);
    const d = scopeOf({ runtime: 'staging', agent_type: 'ChatAgent', cluster: 'eu', alertname: 'X' }, rules);
    expect(a.key).toBe(b.key);
    expect(a.key).not.toBe(c.key);
    expect(a.key).not.toBe(d.key);
    expect(a).toMatchObject({ runtime: 'prod', agent: 'ChatAgent', groupValues: { cluster: 'eu' } });
    expect(a.key).toMatch(/^[0-9a-f]+$/);
  });

  it('lists the whole cascade as candidates, own key first', () => {
    const tool = scopeOf({ runtime: 'prod', agent_type: 'ToolAgent' }, rules);
    const chat = scopeOf({ runtime: 'prod', agent: 'ChatAgent' }, rules);
    expect(tool.cascade).toEqual(['ChatAgent', 'PlannerAgent', 'ToolAgent']);
    expect(tool.candidateKeys[0]).toBe(tool.key);
    expect(tool.candidateKeys).toContain(chat.key);
    expect(new Set(tool.candidateKeys)).toEqual(new Set(chat.candidateKeys));
  });

  it('merges learned edges; unrelated agents stay apart', () => {
    expect(cascadeOf('A', [['A', 'B'], ['C', 'D'], ['B', 'E']])).toEqual(['A', 'B', 'E']);
    const s = scopeOf({ runtime: 'prod', agent_type: 'BillingAgent' }, rules, [['BillingAgent', 'ToolAgent']]);
    expect(s.cascade).toEqual(['BillingAgent', 'ChatAgent', 'PlannerAgent', 'ToolAgent']);
  });

  it('groups runtime-wide alerts per runtime and non-AutoGen alerts per alertname', () => {
    const r1 = scopeOf({ runtime: 'prod', alertname: 'HighMemory' }, rules);
    const r2 = scopeOf({ runtime: 'prod', alertname: 'HighCpu' }, rules);
    expect(r1.key).toBe(r2.key);
    expect(r1.agent).toBeNull();
    const n1 = scopeOf({ alertname: 'DiskFull', host: 'a' }, rules);
    const n2 = scopeOf({ alertname: 'DiskFull', host: 'b' }, rules);
    const n3 = scopeOf({ alertname: 'Other' }, rules);
    expect(n1.key).toBe(n2.key);
    expect(n1.key).not.toBe(n3.key);
  });

  it('parses dependency chains and reports bad items', () => {
    expect(parseDependencies('ChatAgent>PlannerAgent>ToolAgent, A>B')).toEqual({
      edges: [['ChatAgent', 'PlannerAgent'], ['PlannerAgent', 'ToolAgent'], ['A', 'B']], problems: [],
    });
    expect(parseDependencies('A, B>C d').problems).toHaveLength(2);
  });
});

describe('routing', () => {
  it('takes the first matching rule, else the default channel', () => {
    const { rules, problems } = parseRoutes('severity>=critical -> C0ONCALL; runtime=prod, team!=infra -> C0PROD; * -> C0ALL');
    expect(problems).toEqual([]);
    expect(routeChannel({ runtime: 'prod' }, 'critical', rules, 'C0DEF')).toBe('C0ONCALL');
    expect(routeChannel({ runtime: 'prod', team: 'search' }, 'warning', rules, 'C0DEF')).toBe('C0PROD');
    expect(routeChannel({ runtime: 'prod', team: 'infra' }, 'warning', rules, 'C0DEF')).toBe('C0ALL');
    expect(routeChannel({}, 'info', [], 'C0DEF')).toBe('C0DEF');
  });

  it('reports every problem', () => {
    const { problems } = parseRoutes('severity>=huge -> C1; team=x -> #general; nothing');
    expect(problems).toHaveLength(3);
  });
});

describe('incident state machine', () => {
  it('has an outcome for every event in every state', () => {
    for (const e of INCIDENT_EVENTS) for (const s of INCIDENT_STATES) expect(TRANSITIONS[e][s]).toBeDefined();
  });

  it('walks open → acknowledged → mitigating → resolved and reopens on refire', () => {
    expect(transition('open', 'acknowledge')).toEqual({ ok: true, changed: true, state: 'acknowledged' });
    expect(transition('acknowledged', 'mitigate')).toEqual({ ok: true, changed: true, state: 'mitigating' });
    expect(transition('mitigating', 'acknowledge')).toEqual({ ok: true, changed: false, state: 'mitigating' });
    expect(transition('mitigating', 'alertsResolved')).toEqual({ ok: true, changed: true, state: 'resolved' });
    expect(transition('resolved', 'acknowledge')).toEqual({ ok: false, state: 'resolved' });
    expect(transition('resolved', 'refire')).toEqual({ ok: true, changed: true, state: 'open' });
    expect(transition('open', 'refire')).toEqual({ ok: true, changed: false, state: 'open' });
  });

  it('a mitigation that ends without a recovery goes back to open; elsewhere it changes nothing', () => {
    expect(transition('mitigating', 'unmitigate')).toEqual({ ok: true, changed: true, state: 'open' });
    expect(transition('open', 'unmitigate')).toEqual({ ok: true, changed: false, state: 'open' });
    expect(transition('acknowledged', 'unmitigate')).toEqual({ ok: true, changed: false, state: 'acknowledged' });
    expect(transition('resolved', 'unmitigate')).toEqual({ ok: true, changed: false, state: 'resolved' });
    expect(transition('mitigating', 'refire')).toEqual({ ok: true, changed: false, state: 'mitigating' });
  });

  it('formats durations', () => {
    expect(formatDuration(45_000)).toBe('45s');
    expect(formatDuration(12 * 60_000)).toBe('12m');
    expect(formatDuration(12 * 60_000 + 5_000)).toBe('12m 05s');
    expect(formatDuration(3 * 3_600_000 + 5 * 60_000)).toBe('3h 05m');
    expect(formatDuration(50 * 3_600_000)).toBe('2d 2h');
  });
});
