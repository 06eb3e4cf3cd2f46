import { describe, expect, it } from 'vitest';
import { edgesFromMessages, edgesFromText, edgeText } from '../../src/monitor/edges.js';
import { DEFAULT_MONITOR_OPTIONS, GUIDE_THRESHOLDS, MONITOR_ALERTS, evaluate, heldAgents, unreachableFinding, type AgentView, type RecentWindowView, type RuntimeView } from '../../src/monitor/evaluate.js';
import { alertIdsOf, forgetAgents, freshStarts, holdStep, monitorStep } from '../../src/monitor/transitions.js';

const NOW = Date.parse('2025-01-01T10:00:00Z');
const healthyRuntime: RuntimeView = { queue_depth: 0, inflight: 2, max_inflight: null, rss_bytes: 80 * 1024 * 1024, cpu_percent: 3.5, stats_window_s: 300 };
const healthyAgent: AgentView = { type: 'ChatAgent', inflight: 1, max_inflight: null, error_rate: 0, latency_ms: { count: 120, avg: 12 }, last_error: null, construction_errors: 0 };

const names = (fs: { alertname: string; agent: string | null }[]) => fs.map((f) => `${f.alertname}${f.agent ? '/' + f.agent : ''}`).sort();

describe('monitor evaluate (the guide thresholds)', () => {
  it('finds nothing on a healthy runtime', () => {
    expect(evaluate(healthyRuntime, [healthyAgent], GUIDE_THRESHOLDS, NOW)).toEqual([]);
  });

  it('flags each threshold just above it, and not at it', () => {
    const runtime: RuntimeView = { queue_depth: 11, inflight: 91, max_inflight: null, rss_bytes: 513 * 1024 * 1024, cpu_percent: 80.5, stats_window_s: 300 };
    const agent: AgentView = {
      type: 'ToolAgent', inflight: 10, max_inflight: 10, error_rate: 0.06, latency_ms: { count: 50, avg: 2001 },
      last_error: { ts: new Date(NOW - 10_000).toISOString(), exception_type: 'ConnectionRefusedError' }, construction_errors: 0,
    };
    expect(names(evaluate(runtime, [agent], GUIDE_THRESHOLDS, NOW))).toEqual([
      `${MONITOR_ALERTS.agentConcurrency}/ToolAgent`, `${MONITOR_ALERTS.agentErrors}/ToolAgent`, `${MONITOR_ALERTS.errorRate}/ToolAgent`,
      `${MONITOR_ALERTS.slow}/ToolAgent`, MONITOR_ALERTS.cpu, MONITOR_ALERTS.memory, MONITOR_ALERTS.runtimeConcurrency, MONITOR_ALERTS.backlog,
    ].sort());
    const atThresholds: RuntimeView = { queue_depth: 10, inflight: 90, rss_bytes: 512 * 1024 * 1024, cpu_percent: 80, stats_window_s: 300 };
    const agentAt: AgentView = { type: 'ToolAgent', inflight: 9, max_inflight: 10, error_rate: 0.05, latency_ms: { count: 50, avg: 2000 } };
    expect(evaluate(atThresholds, [agentAt], GUIDE_THRESHOLDS, NOW)).toEqual([]);
  });

  it('uses configured thresholds', () => {
    const strict = { ...GUIDE_THRESHOLDS, avgResponseMs: 10 };
    expect(names(evaluate(healthyRuntime, [healthyAgent], strict, NOW))).toEqual([`${MONITOR_ALERTS.slow}/ChatAgent`]);
  });

  it('needs enough samples before judging an error rate; old errors age out; construction errors count', () => {
    const few: AgentView = { ...healthyAgent, error_rate: 1, latency_ms: { count: 2, avg: 5 } };
    expect(evaluate(healthyRuntime, [few], GUIDE_THRESHOLDS, NOW)).toEqual([]);
    const oldError: AgentView = { ...healthyAgent, last_error: { ts: new Date(NOW - 301_000).toISOString() } };
    expect(evaluate(healthyRuntime, [oldError], GUIDE_THRESHOLDS, NOW)).toEqual([]);
    const broken: AgentView = { ...healthyAgent, construction_errors: 3 };
    const [f] = evaluate(healthyRuntime, [broken], GUIDE_THRESHOLDS, NOW);
    expect(f).toMatchObject({ alertname: MONITOR_ALERTS.agentErrors, agent: 'ChatAgent', severity: 'error' });
    expect(f!.summary).toContain('construction');
  });
});

describe('monitor evaluate over the recent window', () => {
  const recent = (over: Partial<RecentWindowView> = {}): RecentWindowView => ({ window_s: 60, count: 60, errors: 0, error_rate: 0, latency_ms: { count: 60, avg: 12, p95: 20, p99: 30 }, ...over });
  // The long (300 s) window still remembers minutes of failures and slowness.
  const longBad: AgentView = { ...healthyAgent, error_rate: 0.6, latency_ms: { count: 300, avg: 5000, p95: 9000, p99: 9500 }, last_error: { ts: new Date(NOW - 200_000).toISOString() } };

  it('a recovered agent is judged by its last minute, not by the long window', () => {
    expect(evaluate(healthyRuntime, [{ ...longBad, recent: recent() }], GUIDE_THRESHOLDS, NOW)).toEqual([]);
  });

  it('an agent that just turned slow or failing shows at once, though the long window is still healthy', () => {
    const slowNow: AgentView = { ...healthyAgent, recent: recent({ count: 20, latency_ms: { count: 20, avg: 1500, p95: 3100, p99: 3300 } }) };
    const [slow] = evaluate(healthyRuntime, [slowNow], GUIDE_THRESHOLDS, NOW);
    expect(slow).toMatchObject({ alertname: MONITOR_ALERTS.slow, agent: 'ChatAgent', value: 3100, threshold: 2000 });
    expect(slow!.summary).toBe('ChatAgent p95 response 3.1 s > 2 s (average 1.5 s, p99 3.3 s; 20 messages, last 60 s)');
    const avgSlow: AgentView = { ...healthyAgent, recent: recent({ count: 20, latency_ms: { count: 20, avg: 3000, p95: 3000, p99: 3000 } }) };
    expect(evaluate(healthyRuntime, [avgSlow], GUIDE_THRESHOLDS, NOW)[0]!.summary).toBe('ChatAgent average response 3 s > 2 s (p95 3 s, p99 3 s; 20 messages, last 60 s)');
    const failingNow: AgentView = { ...healthyAgent, recent: recent({ count: 20, errors: 20, error_rate: 1 }) };
    expect(names(evaluate(healthyRuntime, [failingNow], GUIDE_THRESHOLDS, NOW))).toEqual([`${MONITOR_ALERTS.agentErrors}/ChatAgent`, `${MONITOR_ALERTS.errorRate}/ChatAgent`]);
    expect(evaluate(healthyRuntime, [failingNow], GUIDE_THRESHOLDS, NOW).find((f) => f.alertname === MONITOR_ALERTS.errorRate)!.summary)
      .toBe('ChatAgent error rate 100 % > 5 % (20 messages, last 60 s)');
  });

  it('a p95 over the threshold needs enough messages', () => {
    const one: AgentView = { ...healthyAgent, recent: recent({ count: 2, latency_ms: { count: 2, avg: 1200, p95: 2400, p99: 2400 } }) };
    expect(evaluate(healthyRuntime, [one], GUIDE_THRESHOLDS, NOW)).toEqual([]);
  });

  it('a fleet warming up (a handful of slow first calls) raises no latency alert until the window holds enough messages', () => {
    // what a busy machine shows in the first minute: 6 calls, 4 of them slow — average and "p95" (the slowest) far over 2 s
    const warming: AgentView = { ...healthyAgent, recent: recent({ count: 6, latency_ms: { count: 6, avg: 4200, p95: 9000, p99: 9000 } }) };
    expect(evaluate(healthyRuntime, [warming], GUIDE_THRESHOLDS, NOW)).toEqual([]);
    // 19 messages: still too few by default; a configured minimum of 5 judges them
    const nineteen: AgentView = { ...healthyAgent, recent: recent({ count: 19, latency_ms: { count: 19, avg: 2500, p95: 4000, p99: 4000 } }) };
    expect(evaluate(healthyRuntime, [nineteen], GUIDE_THRESHOLDS, NOW)).toEqual([]);
    expect(names(evaluate(healthyRuntime, [nineteen], GUIDE_THRESHOLDS, NOW, { ...DEFAULT_MONITOR_OPTIONS, latencyMinSamples: 5 }))).toEqual([`${MONITOR_ALERTS.slow}/ChatAgent`]);
    // once warm and busy: 40 messages, the slow first calls are a tail beyond the p95 — judged by the p95, no alert
    const warm: AgentView = { ...healthyAgent, recent: recent({ count: 40, latency_ms: { count: 40, avg: 900, p95: 1500, p99: 9000 } }) };
    expect(evaluate(healthyRuntime, [warm], GUIDE_THRESHOLDS, NOW)).toEqual([]);
    // really slow with enough messages: raised, on the p95
    const slow: AgentView = { ...healthyAgent, recent: recent({ count: 20, latency_ms: { count: 20, avg: 1500, p95: 2600, p99: 9000 } }) };
    expect(evaluate(healthyRuntime, [slow], GUIDE_THRESHOLDS, NOW)).toMatchObject([{ alertname: MONITOR_ALERTS.slow, value: 2600, threshold: 2000 }]);
    // the error checks keep their own minimum (MONITOR_MIN_SAMPLES): a failing agent with 6 messages still shows
    const failing: AgentView = { ...healthyAgent, recent: recent({ count: 6, errors: 6, error_rate: 1, latency_ms: { count: 6, avg: 4200, p95: 9000 } }) };
    expect(names(evaluate(healthyRuntime, [failing], GUIDE_THRESHOLDS, NOW))).toEqual([`${MONITOR_ALERTS.agentErrors}/ChatAgent`, `${MONITOR_ALERTS.errorRate}/ChatAgent`]);
  });

  it('isolated or degraded agents are held (by their flags or the runtime\'s lists)', () => {
    const runtime: RuntimeView = { ...healthyRuntime, isolated: ['B'], degraded: { active: true, agent_types: ['C'] } };
    const held = heldAgents(runtime, [{ type: 'A', isolated: true }, { type: 'B' }, { type: 'C' }, { type: 'D', degraded: true }, { type: 'E' }]);
    expect([...held.entries()]).toEqual([['A', 'isolated'], ['B', 'isolated'], ['C', 'degraded'], ['D', 'degraded']]);
  });
});

describe('held agents keep their alerts (silence is not health)', () => {
  const failing: AgentView = { ...healthyAgent, type: 'OriginAgent', recent: { window_s: 60, count: 20, errors: 20, error_rate: 1, latency_ms: { count: 20, avg: 5 } } };
  const raised = monitorStep('demo', evaluate(healthyRuntime, [failing], GUIDE_THRESHOLDS, NOW), {}, NOW);
  const WINDOW = 60_000;

  it('while isolated it handles nothing and shows nothing — its alerts stay open, not resolved', () => {
    const h = holdStep({}, new Set(['OriginAgent']), new Map([['OriginAgent', 500]]), NOW + 5_000, WINDOW);
    expect(h).toMatchObject({ started: ['OriginAgent'], ended: [] });
    const quiet = monitorStep('demo', [], raised.next, NOW + 5_000, alertIdsOf(raised.next, h.carry));
    expect(quiet.events).toEqual([]);
    expect(Object.keys(quiet.next).sort()).toEqual(Object.keys(raised.next).sort());
    // Still held much later, still open.
    const later = holdStep(h.next, new Set(['OriginAgent']), new Map([['OriginAgent', 500]]), NOW + 600_000, WINDOW);
    expect(later).toMatchObject({ started: [], ended: [], next: { OriginAgent: { since: NOW + 5_000, releasedAt: null } } });
  });

  it('released but nothing handled since: still carried; once it handles messages it is judged again', () => {
    const held = holdStep({}, new Set(['OriginAgent']), new Map([['OriginAgent', 500]]), NOW, WINDOW).next;
    const released = holdStep(held, new Set(), new Map([['OriginAgent', 500]]), NOW + 10_000, WINDOW);
    expect(released).toMatchObject({ ended: [], next: { OriginAgent: { releasedAt: NOW + 10_000, handledAtRelease: 500 } } });
    expect([...released.carry]).toEqual(['OriginAgent']);
    const handled = holdStep(released.next, new Set(), new Map([['OriginAgent', 503]]), NOW + 12_000, WINDOW);
    expect(handled).toMatchObject({ ended: ['OriginAgent'], next: {} });
    expect(handled.carry.size).toBe(0);
    // Judged again: healthy → the alerts resolve; failing → they stay (a current finding).
    expect(monitorStep('demo', [], raised.next, NOW + 12_000, alertIdsOf(raised.next, handled.carry)).events.every((e) => e.status === 'resolved')).toBe(true);
  });

  it('an idle agent released a whole recent window ago is judged on what there is', () => {
    const held = holdStep({}, new Set(['OriginAgent']), new Map([['OriginAgent', 500]]), NOW, WINDOW).next;
    const released = holdStep(held, new Set(), new Map([['OriginAgent', 500]]), NOW + 10_000, WINDOW).next;
    expect(holdStep(released, new Set(), new Map([['OriginAgent', 500]]), NOW + 69_000, WINDOW).ended).toEqual([]);
    expect(holdStep(released, new Set(), new Map([['OriginAgent', 500]]), NOW + 70_000, WINDOW).ended).toEqual(['OriginAgent']);
    // An agent gone from the runtime is not held any more.
    expect(holdStep(released, new Set(), new Map(), NOW + 11_000, WINDOW).ended).toEqual(['OriginAgent']);
  });
});

describe('after a plan\'s verification resolved the incident', () => {
  const failing: AgentView = { ...healthyAgent, type: 'OriginAgent', recent: { window_s: 60, count: 20, errors: 20, error_rate: 1, latency_ms: { count: 20, avg: 5 } } };
  const findings = evaluate(healthyRuntime, [failing], GUIDE_THRESHOLDS, NOW);
  const raised = monitorStep('demo', findings, {}, NOW);

  it('within the window its alerts stay as they are (the window still holds the failures before the recovery)', () => {
    const f = freshStarts({ OriginAgent: NOW + 10_000 }, raised.next, NOW + 30_000, 60_000);
    expect(f).toEqual({ forget: new Set(), done: [] });
  });

  it('a whole window later a finding that is still there raises a new alert (a new episode reopens the incident)', () => {
    const f = freshStarts({ OriginAgent: NOW + 10_000 }, raised.next, NOW + 70_000, 60_000);
    expect(f).toEqual({ forget: new Set(['OriginAgent']), done: ['OriginAgent'] });
    const again = monitorStep('demo', findings, forgetAgents(raised.next, f.forget), NOW + 70_000);
    expect(again.events.map((e) => `${e.status}:${e.startsAt}`)).toEqual(findings.map(() => `firing:${new Date(NOW + 70_000).toISOString()}`));
  });

  it('alerts that cleared by themselves leave nothing to forget', () => {
    expect(freshStarts({ OriginAgent: NOW }, {}, NOW + 1_000, 60_000)).toEqual({ forget: new Set(), done: ['OriginAgent'] });
    expect(forgetAgents(raised.next, new Set())).toBe(raised.next);
  });
});

describe('monitor step (findings → alerts)', () => {
  const slow = evaluate(healthyRuntime, [healthyAgent], { ...GUIDE_THRESHOLDS, avgResponseMs: 10 }, NOW);

  it('raises once when a threshold is first crossed, nothing while it holds, resolves when it clears', () => {
    const s1 = monitorStep('demo', slow, {}, NOW);
    expect(s1.events).toHaveLength(1);
    expect(s1.events[0]).toMatchObject({
      source: 'monitor', kind: 'monitor', status: 'firing', startsAt: new Date(NOW).toISOString(),
      labels: { alertname: MONITOR_ALERTS.slow, runtime: 'demo', agent_type: 'ChatAgent', severity: 'warning' },
    });
    const s2 = monitorStep('demo', slow, s1.next, NOW + 15_000);
    expect(s2.events).toEqual([]);
    const s3 = monitorStep('demo', [], s2.next, NOW + 30_000);
    expect(s3.events).toHaveLength(1);
    expect(s3.events[0]).toMatchObject({ status: 'resolved', startsAt: s1.events[0]!.startsAt, endsAt: new Date(NOW + 30_000).toISOString(), fingerprint: s1.events[0]!.fingerprint });
    expect(s3.next).toEqual({});
  });

  it('while the bridge is unreachable, keeps earlier findings and raises unreachable', () => {
    const s1 = monitorStep('demo', slow, {}, NOW);
    const down = unreachableFinding('demo', 'connection refused');
    const s2 = monitorStep('demo', [down], s1.next, NOW + 15_000, new Set(Object.keys(s1.next)));
    expect(s2.events.map((e) => `${e.status}:${e.labels.alertname}`)).toEqual([`firing:${MONITOR_ALERTS.unreachable}`]);
    expect(Object.keys(s2.next).sort()).toEqual([...Object.keys(s1.next), MONITOR_ALERTS.unreachable].sort());
  });
});

describe('learned dependencies', () => {
  it('takes sender → recipient agent types from the message log', () => {
    const edges = edgesFromMessages([
      { sender: 'ChatAgent/default', recipient: 'PlannerAgent/default' },
      { sender: 'ChatAgent/u2', recipient: 'PlannerAgent/default' },
      { sender: null, recipient: 'ChatAgent/default' },
      { sender: 'ToolAgent/a', recipient: 'ToolAgent/b' },
      { sender: 'PlannerAgent/default', recipient: 'ToolAgent/default' },
    ]);
    expect(edges).toEqual([['ChatAgent', 'PlannerAgent'], ['PlannerAgent', 'ToolAgent']]);
    expect(edgesFromText(edges.map(edgeText).concat(['bad', '>x']))).toEqual(edges);
  });
});

describe('AgentChat participants', () => {
  it('are alerted on by their stable <team>/<name>, so an incident survives the app\'s restart', () => {
    const tid = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
    const failing: AgentView = { ...healthyAgent, type: `triage_${tid}`, name: 'triage', team: { name: 'support' }, error_rate: 0.5, latency_ms: { count: 40, avg: 12 } };
    const found = evaluate(healthyRuntime, [failing], GUIDE_THRESHOLDS, NOW);
    expect(found.map((f) => f.agent)).toContain('support/triage');
    expect(found.find((f) => f.alertname === MONITOR_ALERTS.errorRate)?.summary).toMatch(/^support\/triage error rate/);
  });
});
