import { describe, expect, it } from 'vitest';
import { GUIDE_FIXES } from '../../src/diagnosis/error-signals.js';
import { evaluateHealth } from '../../src/diagnosis/health.js';
import { DEFAULT_THRESHOLDS } from '../../src/diagnosis/thresholds.js';
import { agent, healthyAgents, isoAgo, NOW, runtimeInfo, summaries } from './fixtures.js';

const base = { runtime: 'demo', thresholds: DEFAULT_THRESHOLDS, now: NOW };

describe('health check (guide §5.1)', () => {
  it('a healthy runtime gets a healthy report with no warnings', () => {
    const r = evaluateHealth({ ...base, info: runtimeInfo(), agents: summaries(healthyAgents()) });
    expect(r.verdict.status).toBe('healthy');
    expect(r.classification).toBeNull();
    expect(r.findings.every((f) => f.status === 'ok')).toBe(true);
    expect(r.findings.map((f) => f.check)).toEqual([
      'health.runtime', 'health.agents', 'health.queue_depth', 'health.memory', 'health.disk', 'health.errors', 'health.dependency',
    ]);
    expect(r.verdict.headline).toContain('healthy');
    expect(r.flow.rootCause).toBeNull();
  });

  it('says when the bridge runs without its C accelerator, and only then', () => {
    const evidence = (over: Parameters<typeof runtimeInfo>[0]) => evaluateHealth({ ...base, info: runtimeInfo(over), agents: summaries(healthyAgents()) })
      .findings.find((f) => f.check === 'health.runtime')?.evidence;
    expect(evidence({ bridge_accelerated: false })).toContain('without its C accelerator');
    expect(evidence({ bridge_accelerated: true })).not.toContain('accelerator');
    expect(evidence({})).not.toContain('accelerator'); // an older bridge does not say
  });

  it('errors at a failing rate are a failure whose meaning comes from the agent where they start', () => {
    const refused = { ts: isoAgo(5_000), agent_type: 'Inventory', exception_type: 'ConnectionRefusedError', message: '[Errno 111] Connection refused' };
    const wrapped = { ts: isoAgo(1_000), agent_type: 'Storefront', exception_type: 'ValueError', message: 'order failed, please try again' };
    const agents = [
      agent('Storefront', { error_rate: 1, errors_total: 40, last_error: wrapped, failure_origins: ['Inventory'] }),
      agent('Inventory', { error_rate: 1, errors_total: 40, last_error: refused, failure_origins: [] }),
    ];
    const r = evaluateHealth({ ...base, info: runtimeInfo({ errors_last_hour: 80 }), agents: summaries(agents) });
    const errors = r.findings.find((f) => f.check === 'health.errors');
    expect(errors).toMatchObject({ status: 'fail', category: 'external_api', subject: 'Inventory' });
    expect(errors?.title).toBe('Errors above 5.0 %: Storefront 100.0 %, Inventory 100.0 %; they start in Inventory');
    expect(r.verdict.status).toBe('failing');
  });

  it('a dead dependency is an integration › database failure with the guide\'s fix', () => {
    const info = runtimeInfo({
      dependencies: [{ name: 'vector-db', kind: 'database', url: 'tcp://127.0.0.1:6999', reachable: false, latency_ms: null, error: 'connection refused' }],
      errors_last_hour: 12,
    });
    const agents = summaries(healthyAgents()).map((a) =>
      a.type === 'RetrieverAgent'
        ? { ...a, errors_total: 12, last_error: { ts: isoAgo(1000), agent_type: 'RetrieverAgent', exception_type: 'ConnectionRefusedError', message: '[Errno 111] Connect call failed (\'127.0.0.1\', 6999)' } }
        : a,
    );
    const r = evaluateHealth({ ...base, info, agents });
    expect(r.verdict.status).toBe('failing');
    expect(r.classification?.category).toBe('database');
    expect(r.classification?.layer).toBe('integration');
    expect(r.verdict.headline).toBe('Runtime demo: Dependency vector-db unreachable — connection refused (tcp://127.0.0.1:6999)');
    expect(r.flow.fix).toEqual([GUIDE_FIXES.databaseService, GUIDE_FIXES.checkService]);
    const errors = r.findings.find((f) => f.check === 'health.errors');
    expect(errors).toMatchObject({ status: 'warn', category: 'database' });
  });

  it('an agent failing construction with a missing module gets the pip install fix', () => {
    const agents = summaries(healthyAgents()).map((a) =>
      a.type === 'ToolAgent'
        ? { ...a, instances: [], construction_errors: 3, last_error: { ts: isoAgo(500), agent_type: 'ToolAgent', exception_type: 'ModuleNotFoundError', message: "No module named 'fancy_tools'", phase: 'construction' } }
        : a,
    );
    const r = evaluateHealth({ ...base, info: runtimeInfo({ errors_last_hour: 3 }), agents });
    expect(r.classification?.category).toBe('agent_creation');
    expect(r.classification?.primary.evidence).toContain("No module named 'fancy_tools'");
    expect(r.flow.fix[0]).toBe('Install the missing dependency: `pip install fancy_tools`');
  });

  it('a flooded queue is a runtime › message delivery problem with backpressure as the fix', () => {
    const r = evaluateHealth({ ...base, info: runtimeInfo({ queue_depth: 5000 }), agents: summaries(healthyAgents()) });
    expect(r.classification?.category).toBe('message_delivery');
    expect(r.classification?.status).toBe('fail');
    expect(r.flow.fix[0]).toBe(GUIDE_FIXES.backpressure);
    const mild = evaluateHealth({ ...base, info: runtimeInfo({ queue_depth: DEFAULT_THRESHOLDS.queueDepth + 1 }), agents: summaries(healthyAgents()) });
    expect(mild.verdict.status).toBe('warning');
  });

  it('memory and disk at or above 80 % warn (resources, storage)', () => {
    const r = evaluateHealth({ ...base, info: runtimeInfo({ disk_percent: 91, memory_percent: 97 }), agents: summaries(healthyAgents()) });
    expect(r.verdict.status).toBe('warning');
    expect(r.findings.find((f) => f.check === 'health.disk')).toMatchObject({ status: 'warn', category: 'storage', fix: [GUIDE_FIXES.freeDisk] });
    expect(r.findings.find((f) => f.check === 'health.memory')).toMatchObject({ status: 'warn', category: 'resources' });
    expect(r.classification?.category).toBe('storage');
  });

  it('isolated and degraded agents are warnings, an unregistered listed type fails', () => {
    const agents = [agent('ChatAgent', { isolated: true }), agent('PlannerAgent', { degraded: true })];
    const r = evaluateHealth({ ...base, info: runtimeInfo({ agent_types: ['ChatAgent', 'PlannerAgent', 'GhostAgent'] }), agents: summaries(agents) });
    expect(r.findings.filter((f) => f.status !== 'ok').map((f) => f.check).sort()).toEqual(['health.agent_degraded', 'health.agent_isolated', 'health.agent_registered']);
    expect(r.classification?.category).toBe('agent_creation');
  });

  it('a dependency without a probe result is not an alarm', () => {
    const info = runtimeInfo({ dependencies: [{ name: 'search-api', kind: 'external', url: 'https://search.example', reachable: null }] });
    const r = evaluateHealth({ ...base, info, agents: summaries(healthyAgents()) });
    expect(r.verdict.status).toBe('healthy');
    expect(r.findings.find((f) => f.check === 'health.dependency')?.evidence).toContain('not probed');
  });
});
