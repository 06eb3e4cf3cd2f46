import { describe, expect, it } from 'vitest';
import { edgesFromMessages, edgesFromText, edgeText } from '../../src/monitor/edges.js';
import { GUIDE_THRESHOLDS, MONITOR_ALERTS, evaluate, unreachableFinding, type AgentView, type RuntimeView } from '../../src/monitor/evaluate.js';
import { monitorStep } from '../../src/monitor/transitions.js';

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
