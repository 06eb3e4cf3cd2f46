/** The seed's Agent Diagnostic as pure functions, on plain bridge-shaped objects (docs/bridge-api.md). */
import { describe, expect, it } from 'vitest';
import { diagnoseAgent, unreachableReport } from '../../src/diagnosis/diagnose.js';
import { matchDependencyPattern } from '../../src/diagnosis/dependency-patterns.js';
import { checkCascade, parseCascade } from '../../src/diagnosis/checks/cascade.js';
import type { DiagnosisInput } from '../../src/diagnosis/input.js';
import type { AgentDetail, RuntimeInfo } from '../../src/runtime/schemas.js';

const now = new Date('2026-01-01T12:00:00Z');
const iso = (secondsAgo: number) => new Date(now.getTime() - secondsAgo * 1000).toISOString();

function info(over: Partial<RuntimeInfo> = {}): RuntimeInfo {
  return { name: 'prod', autogen_core_version: '0.7.5', uptime_s: 3600, queue_depth: 0, inflight: 0, rss_bytes: 80e6, cpu_percent: 5, memory_percent: 30, disk_percent: 40, agent_types: ['ChatAgent', 'PlannerAgent'], dependencies: [], ...over };
}

function detail(over: Partial<AgentDetail> = {}): AgentDetail {
  return { type: 'ChatAgent', registered: true, instances: ['default'], inflight: 0, max_inflight: null, handled_total: 100, errors_total: 0, error_rate: 0, latency_ms: { count: 100, avg: 12, p50: 10, p95: 30, p99: 40, max: 50 }, isolated: false, backpressured: false, degraded: false, last_error: null, construction_errors: 0, recent_errors: [], dependency_calls: [], ...over };
}

function input(over: Partial<DiagnosisInput> = {}): DiagnosisInput {
  return { agent: 'ChatAgent', runtime: 'prod', health: { status: 'ok', runtime: 'prod', uptime_s: 3600 }, info: info(), detail: detail(), logs: [], windowS: 900, ...over };
}

function err(message: string, exception_type = 'RuntimeError', secondsAgo = 10) {
  return { ts: iso(secondsAgo), agent_type: 'ChatAgent', agent_key: 'default', exception_type, message, traceback: null, message_id: 'm', message_type: 'ChatRequest', phase: 'handler' };
}

describe('diagnoseAgent', () => {
  it('all checks ok → healthy, no probable cause, Show logs + Run again', () => {
    const r = diagnoseAgent(input(), { now });
    expect(r.verdict).toBe('healthy');
    expect(r.classification).toBeNull();
    expect(r.flow).toMatchObject({ classify: 'No problem found', analyse: '8 checks: 8 ✅', rootCause: null, escalate: null });
    expect(r.checks.every((c) => c.status === 'ok')).toBe(true);
    expect(r.probable_cause).toBeUndefined();
    expect(r.follow_ups.map((f) => f.action_id)).toEqual(['diag:logs', 'diag:rerun']);
    expect(r.generated_at).toBe(now.toISOString());
  });

  it.each([
    ["ModuleNotFoundError: No module named 'chromadb'", 'a Python module is missing', 'pip install chromadb', 'Runtime › Agent creation'],
    ['vector-db: [Errno 111] Connection refused', 'refused the connection', 'external service', 'Integration › External API'],
    ['PermissionError: [Errno 13] Permission denied: /data/index', 'insufficient permissions', 'permissions', 'Infrastructure › Configuration'],
    ['upstream request timeout after 2.0s', 'timed out', 'timeout', 'Application › Timeouts'],
  ])('dependency pattern in "%s" → failing dependencies check naming it, with the fix and the framework category', (message, issue, fix, label) => {
    const r = diagnoseAgent(input({ detail: detail({ error_rate: 0.5, recent_errors: [err(message)] }) }), { now });
    const dep = r.checks.find((c) => c.id === 'dependencies');
    expect(dep?.status).toBe('fail');
    expect(dep?.summary).toContain(issue);
    expect(dep?.suggestion).toContain(fix);
    expect(r.verdict).toBe('failing');
    expect(r.next_steps.join(' ')).toContain(fix);
    expect(r.classification?.label).toBe(label);
    expect(r.classification?.primary.check).toBe('diagnose.dependencies');
    expect(r.next_steps[0]).toBe(dep?.suggestion);
  });

  it('a refused connection to a declared dependency is classified by its kind, as the guide\'s health check does', () => {
    const r = diagnoseAgent(input({
      info: info({ dependencies: [{ name: 'vector-db', kind: 'database', url: 'tcp://127.0.0.1:6999', reachable: false, error: 'connection refused' }] }),
      detail: detail({ error_rate: 0.5, recent_errors: [err('vector-db: [Errno 111] Connection refused')] }),
    }), { now });
    expect(r.classification).toMatchObject({ layer: 'integration', category: 'database', label: 'Integration › Database' });
    const unreachableOnly = diagnoseAgent(input({ info: info({ dependencies: [{ name: 'vector-db', kind: 'database', reachable: false }] }) }), { now });
    expect(unreachableOnly.checks.find((c) => c.id === 'dependencies')).toMatchObject({ status: 'warn', category: 'database' });
  });

  it('"timed out" is a timeout pattern without a bogus detail', () => {
    const r = diagnoseAgent(input({ detail: detail({ error_rate: 0.5, recent_errors: [err('TimeoutError: request timed out')] }) }), { now });
    expect(r.checks.find((c) => c.id === 'dependencies')?.summary).toBe('Dependency problem: a connection or operation timed out — in 1 of the 1 latest error read.');
    expect(matchDependencyPattern('request timed out')?.detail).toBeUndefined();
  });

  it('a cascade names the origin agent and puts the fix there first', () => {
    const message = 'ChatAgent: dependency PlannerAgent failed: DependencyError: PlannerAgent: dependency RetrieverAgent failed: TimeoutError: RetrieverAgent: upstream vector-db request timeout after 2.0s';
    const r = diagnoseAgent(input({ detail: detail({ error_rate: 1, recent_errors: [err(message, 'DependencyError'), err(message, 'DependencyError', 20)] }) }), { now });
    // the origin's timeout decides the category, as in the guide's log analysis of a cascade
    expect(r.classification).toMatchObject({ layer: 'application', category: 'timeouts', label: 'Application › Timeouts' });
    expect(r.classification?.primary.check).toBe('diagnose.cascade');
    expect(r.probable_cause).toContain('Cascading failure from RetrieverAgent: ChatAgent → PlannerAgent → RetrieverAgent');
    expect(r.next_steps[0]).toContain('Fix RetrieverAgent first');
    expect(r.follow_ups.map((f) => f.action_id)).toContain('diag:recover');
    expect(r.flow).toMatchObject({
      classify: 'Application › Timeouts',
      collect: ['bridge /healthz', 'runtime info', 'agent ChatAgent', 'errors and logs (last 15 min)'],
      analyse: '8 checks: 5 ✅, 3 ❌',
      verify: 'Re-run `/autogen diagnose ChatAgent prod` after the fix; if the problem stays, run `/autogen snapshot prod` and escalate.',
      escalate: null,
    });
    expect(r.flow.rootCause).toContain('Cascading failure from RetrieverAgent');
  });

  it.each([
    ['re-raised', 'ConnectionRefusedError', '[Errno 111] Connection refused'],
    ['wrapped', 'RuntimeError', 'could not place the order'],
    ['replaced', 'ValueError', 'order failed, please try again'],
  ])('a cascade proven by the message graph is found whatever the front says (%s)', (_shape, type, text) => {
    const failed_calls = [{ path: ['Storefront', 'Inventory'], origin: 'Inventory', outcome: 'error', origin_error: 'ConnectionRefusedError: [Errno 111] Connection refused', count: 1310, first_at: iso(120), last_at: iso(1) }];
    const history = Array.from({ length: 31 }, (_, i) => ({ ts: iso(300 - i * 10), rss_bytes: (i < 6 ? 61 : i < 15 ? 61 + (33 * (i - 6)) / 9 : 94) * 1024 * 1024 }));
    const r = diagnoseAgent(input({
      agent: 'Storefront',
      info: info({ started_at: iso(3600), rss_history: history, bridge_buffer_bytes: 30 * 1024 * 1024 }),
      detail: detail({ type: 'Storefront', error_rate: 1, window_errors: 1310, errors_total: 1310, recent_errors: [err(text, type)], failed_calls, message_graph: { messages: 1000, since: iso(90) } }),
    }), { now });
    expect(r.classification?.primary.check).toBe('diagnose.cascade');
    expect(r.probable_cause).toContain('Cascading failure from Inventory: Storefront → Inventory');
    expect(r.classification?.category).toBe('external_api');
    expect(r.checks.find((c) => c.id === 'resources')?.status).toBe('ok'); // a step, then flat: no leak
    expect(r.next_steps[0]).toContain('Fix Inventory first');
    // the dependency check's fix is already inside the cascade's first step: not said again
    expect(r.next_steps.filter((step) => step.includes('Check that the external service')).length).toBe(1);
    const errors = r.checks.find((c) => c.id === 'errors');
    expect(errors?.evidence[0]).toContain('1,310 errors in the last 5 min');
  });

  it('a message graph the bridge sampled under load: the failed calls are counted against the sampled failures, and said to be a sample', () => {
    const failed_calls = [{ path: ['Storefront', 'Inventory'], origin: 'Inventory', outcome: 'error', origin_error: 'ConnectionRefusedError: [Errno 111] Connection refused', count: 50 }];
    const sampled = (graph: NonNullable<AgentDetail['message_graph']>) =>
      checkCascade(input({ agent: 'Storefront', detail: detail({ type: 'Storefront', error_rate: 1, window_errors: 1310, errors_total: 1310, failed_calls, message_graph: graph }) }));
    const c = sampled({ messages: 100, since: '2026-01-01T11:58:30.000Z', failures: 50, unlinked: 1234 });
    expect(c.evidence[0]).toBe('50 of 50 failures of Storefront among the 100 message hops the bridge linked since 11:58:30 UTC (a sample: 1,234 more messages were counted, not linked) failed because a call to Inventory failed');
    expect(c.explains).toBe(1);
    // a bridge that links every message: the exact error count is the denominator, as before
    const whole = sampled({ messages: 1000, since: '2026-01-01T11:58:30.000Z', failures: 50, unlinked: 0 });
    expect(whole.evidence[0]).toBe('50 of 1,310 failures of Storefront among the 1,000 message hops the bridge links since 11:58:30 UTC failed because a call to Inventory failed');
    // sampled, but no count of the sample's failures (0 or missing): the same rule, the scope still a sample
    const noFailures = sampled({ messages: 100, since: null, unlinked: 1 });
    expect(noFailures.evidence[0]).toBe('50 of 1,310 failures of Storefront among the 100 message hops the bridge linked (a sample: 1 more message was counted, not linked) failed because a call to Inventory failed');
    expect(noFailures.explains).toBeCloseTo(50 / 1310);
  });

  it('error log records the bridge sampled count as the errors they stand for', () => {
    const logs = [
      { ts: iso(20), level: 'ERROR', exception_type: 'ConnectionRefusedError', message: '[Errno 111] Connection refused', count: 40 },
      { ts: iso(10), level: 'ERROR', exception_type: 'KeyError', message: 'KeyError: total' },
    ];
    const r = diagnoseAgent(input({ detail: detail({ error_rate: 0.01, window_errors: undefined }), logs }), { now });
    expect(r.checks.find((c) => c.id === 'errors')?.summary).toBe('41 recent errors, error rate within limits.');
    expect(r.checks.find((c) => c.id === 'dependencies')?.summary).toBe('Dependency problem: an external service refused the connection — in 40 of the 41 latest errors read.');
  });

  it('a model client rate limit reads as model calls, with the guide\'s fix for quotas and back-off', () => {
    const r = diagnoseAgent(input({ agent: 'writer', detail: detail({ type: 'writer', error_rate: 0.6, window_errors: 12, recent_errors: [err('Error code: 429 - Rate limit reached for requests', 'RateLimitError')] }) }), { now });
    expect(r.classification?.category).toBe('model_calls');
    expect(r.next_steps[0]).toContain('rate limits');
  });

  it('no failed call in the message graph means no cascade, even if the text reads like one', () => {
    const message = 'ChatAgent: dependency PlannerAgent failed: TimeoutError: upstream timeout';
    const r = diagnoseAgent(input({ detail: detail({ error_rate: 1, recent_errors: [err(message)], failed_calls: [] }) }), { now });
    expect(r.checks.find((c) => c.id === 'cascade')?.status).toBe('ok');
  });

  it('a callee that refuses (isolated) is named as refusing, not as the fault', () => {
    const failed_calls = [{ path: ['Storefront', 'Inventory'], origin: 'Inventory', outcome: 'refused', origin_error: 'AgentIsolatedError: agent type \'Inventory\' is isolated', count: 40 }];
    const r = diagnoseAgent(input({ agent: 'Storefront', detail: detail({ type: 'Storefront', error_rate: 1, window_errors: 40, failed_calls }) }), { now });
    expect(r.probable_cause).toContain('Inventory refuses messages');
    expect(r.classification?.category).toBe('message_delivery');
  });

  it('refusals of an isolated agent are reported as refusals, not as its errors', () => {
    const refusal = err('agent type \'ChatAgent\' is isolated by the operator', 'AgentIsolatedError');
    const r = diagnoseAgent(input({ detail: detail({ isolated: true, error_rate: 0, window_errors: 0, recent: { window_s: 60, count: 0, errors: 0, refused: 25, error_rate: 0 }, recent_errors: [refusal] }), logs: [{ ts: iso(5), level: 'ERROR', exception_type: 'AgentIsolatedError', message: 'isolated' }] }), { now });
    const errors = r.checks.find((c) => c.id === 'errors');
    expect(errors?.status).toBe('ok');
    expect(errors?.summary).toBe('No errors of its own; 25 messages refused.');
  });

  it('latency is judged on the recent window with p99, so a newly slow agent shows at once', () => {
    const r = diagnoseAgent(input({ detail: detail({ latency_ms: { count: 2000, avg: 29, p50: 10, p95: 40, p99: 3000, max: 3100 }, recent: { window_s: 60, count: 20, errors: 0, refused: 0, error_rate: 0, latency_ms: { count: 20, avg: 3000, p50: 3000, p95: 3050, p99: 3100, max: 3100 } } }) }), { now });
    const perf = r.checks.find((c) => c.id === 'performance');
    expect(perf?.status).toBe('fail');
    expect(perf?.summary).toContain('average latency 3.0 s over the last 1 min');
  });

  it('a lower layer is the likelier cause: a full disk outranks slow responses of the same severity', () => {
    const r = diagnoseAgent(input({ info: info({ disk_percent: 95 }), detail: detail({ latency_ms: { count: 10, avg: 500, p50: 400, p95: 4000, p99: 4500, max: 5000 } }) }), { now });
    expect(r.checks.find((c) => c.id === 'performance')).toMatchObject({ status: 'warn', category: 'performance' });
    expect(r.classification).toMatchObject({ category: 'storage', label: 'Infrastructure › Storage', implicated: ['storage', 'performance'] });
    expect(r.probable_cause).toBe('Disk 95% is above 80%.');
    expect(r.next_steps[0]).toBe('Free disk space (logs, caches).');
  });

  it('a failure outranks warnings below it, and a backlog alone is a message-delivery problem', () => {
    const r = diagnoseAgent(input({ info: info({ queue_depth: 40, cpu_percent: 95 }), detail: detail({ error_rate: 0.2, recent_errors: [err('KeyError: x', 'KeyError')] }) }), { now });
    expect(r.classification).toMatchObject({ category: 'business_logic', status: 'fail', implicated: ['resources', 'message_delivery', 'business_logic'] });
    const backlog = diagnoseAgent(input({ info: info({ queue_depth: 40 }) }), { now });
    expect(backlog.classification?.label).toBe('Runtime › Message delivery');
  });

  it('when the deciding check has no fix, the flow escalates with a snapshot', () => {
    const r = diagnoseAgent(input({ info: undefined }), { now });
    expect(r.classification?.primary.check).toBe('diagnose.resources');
    expect(r.flow.rootCause).toBeNull();
    expect(r.flow.escalate).toContain('`/autogen snapshot prod`');
  });

  it('parseCascade reads the chain and the origin error', () => {
    expect(parseCascade('A', 'A: dependency B failed: X: B: dependency C failed: ValueError: C: boom')).toEqual({ path: ['A', 'B', 'C'], originError: 'ValueError: boom' });
    expect(parseCascade('A', 'plain error')).toBeUndefined();
  });

  it('error rate above 5 % fails; a few errors below it warn', () => {
    const high = diagnoseAgent(input({ detail: detail({ error_rate: 0.06, recent_errors: [err('KeyError: x', 'KeyError')] }) }), { now });
    expect(high.checks.find((c) => c.id === 'errors')?.status).toBe('fail');
    const low = diagnoseAgent(input({ detail: detail({ error_rate: 0.01, recent_errors: [err('KeyError: x', 'KeyError')] }) }), { now });
    expect(low.checks.find((c) => c.id === 'errors')?.status).toBe('warn');
    expect(low.verdict).toBe('degraded');
    const old = diagnoseAgent(input({ detail: detail({ recent_errors: [err('KeyError: x', 'KeyError', 3600)] }) }), { now });
    expect(old.checks.find((c) => c.id === 'errors')?.status).toBe('ok');
  });

  it('average latency above 2 s fails performance; saturation and backlog warn', () => {
    const slow = diagnoseAgent(input({ detail: detail({ latency_ms: { count: 10, avg: 3000, p50: 3000, p95: 3100, p99: 3200, max: 3300 } }) }), { now });
    expect(slow.checks.find((c) => c.id === 'performance')?.status).toBe('fail');
    expect(slow.classification?.label).toBe('Runtime › Performance');
    const busy = diagnoseAgent(input({ info: info({ queue_depth: 25 }), detail: detail({ inflight: 19, max_inflight: 20 }) }), { now });
    const perf = busy.checks.find((c) => c.id === 'performance');
    expect(perf?.status).toBe('warn');
    expect(perf?.summary).toContain('in-flight 19/20');
    expect(perf?.summary).toContain('queue depth 25');
  });

  it('resources: RSS above 512 MB and CPU above 80 % warn; steady growth after warm-up is a suspected leak', () => {
    const heavy = diagnoseAgent(input({ info: info({ rss_bytes: 600 * 1024 * 1024, cpu_percent: 95 }) }), { now });
    expect(heavy.checks.find((c) => c.id === 'resources')?.status).toBe('warn');
    const history = Array.from({ length: 20 }, (_, i) => ({ ts: iso(200 - i * 10), rss_bytes: 100e6 * (1 + i * 0.05) }));
    const leak = diagnoseAgent(input({ info: info({ started_at: iso(3600), rss_history: history }) }), { now });
    const res = leak.checks.find((c) => c.id === 'resources');
    expect(res?.status).toBe('fail');
    expect(res?.summary).toContain('suspected leak');
  });

  it('isolated or degraded agents warn in the control-state check', () => {
    const r = diagnoseAgent(input({ detail: detail({ isolated: true }) }), { now });
    expect(r.checks.find((c) => c.id === 'control')?.status).toBe('warn');
  });

  it('an unregistered type fails registration and suggests the right spelling', () => {
    const r = diagnoseAgent(input({ agent: 'chatagent', detail: undefined }), { now });
    expect(r.verdict).toBe('failing');
    expect(r.classification?.label).toBe('Runtime › Agent creation');
    expect(r.flow.collect).toEqual(['bridge /healthz', 'runtime info', 'agent chatagent']);
    expect(r.checks.find((c) => c.id === 'registration')?.suggestion).toContain('`ChatAgent`');
  });

  it('construction errors fail the factory check', () => {
    const r = diagnoseAgent(input({ detail: detail({ construction_errors: 3, recent_errors: [{ ...err("No module named 'x'", 'ModuleNotFoundError'), phase: 'construction' }] }) }), { now });
    expect(r.checks.find((c) => c.id === 'registration')?.status).toBe('fail');
    expect(r.classification?.category).toBe('agent_creation');
  });

  it('unreachableReport is a clear report with next steps and a re-run button only', () => {
    const r = unreachableReport('ChatAgent', 'prod', 'http://10.0.0.1:8700', 'connection refused', now);
    expect(r.verdict).toBe('unreachable');
    expect(r.headline).toContain('unreachable');
    expect(r.checks[0]?.summary).toContain('http://10.0.0.1:8700');
    expect(r.follow_ups.map((f) => f.action_id)).toEqual(['diag:rerun']);
    expect(r.classification?.label).toBe('Infrastructure › Network');
    expect(r.flow.collect).toEqual(['bridge /healthz']);
  });

  it('matchDependencyPattern: the seed patterns, case-insensitive', () => {
    expect(matchDependencyPattern('NO MODULE NAMED foo')?.detail).toBe('foo');
    expect(matchDependencyPattern('all fine')).toBeUndefined();
  });
});
