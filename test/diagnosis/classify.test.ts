import { describe, expect, it } from 'vitest';
import { buildFlow, categoryLabel, classify, LAYERS, layerOf, type Finding } from '../../src/diagnosis/classify.js';
import { GUIDE_FIXES, readErrorSignal } from '../../src/diagnosis/error-signals.js';

const flowInput = { collected: ['runtime info'], verifyCommand: '/autogen health demo', snapshotCommand: '/autogen snapshot demo' };

function finding(patch: Partial<Finding>): Finding {
  return { check: 'x', status: 'fail', category: 'business_logic', title: 'Something failed', evidence: 'seen', fix: ['do it'], ...patch };
}

describe('classification framework (guide §1.1)', () => {
  it('has the guide\'s four layers of four categories each', () => {
    expect(Object.keys(LAYERS)).toEqual(['infrastructure', 'integration', 'runtime', 'application']);
    expect(LAYERS.infrastructure.categories).toEqual(['network', 'storage', 'resources', 'configuration']);
    expect(LAYERS.runtime.categories).toEqual(['agent_creation', 'state_sync', 'message_delivery', 'performance']);
    expect(LAYERS.application.categories).toEqual(['tool_execution', 'model_calls', 'timeouts', 'business_logic']);
    expect(LAYERS.integration.categories).toEqual(['external_api', 'database', 'cache', 'queue']);
    expect(layerOf('database')).toBe('integration');
    expect(categoryLabel('agent_creation')).toBe('Runtime › Agent creation');
  });

  it('returns null when every check passed', () => {
    expect(classify([finding({ status: 'ok' })])).toBeNull();
  });

  it('picks the worst status first, then the most causal category', () => {
    const c = classify([
      finding({ status: 'warn', category: 'network', title: 'net warn' }),
      finding({ status: 'fail', category: 'business_logic', title: 'handler errors' }),
      finding({ status: 'fail', category: 'database', title: 'db down' }),
    ]);
    expect(c?.category).toBe('database');
    expect(c?.layer).toBe('integration');
    expect(c?.primary.title).toBe('db down');
    expect(c?.implicated).toEqual(['network', 'database', 'business_logic']);
  });

  it('ranks equally bad findings of one category by severity', () => {
    const c = classify([finding({ title: 'small', severity: 1.2 }), finding({ title: 'big', severity: 4 })]);
    expect(c?.primary.title).toBe('big');
  });
});

describe('diagnostic flow (guide §1.2)', () => {
  it('states root cause, fix and verification when a failing check carries a fix', () => {
    const flow = buildFlow([finding({ status: 'ok' }), finding({ title: 'Dependency vector-db unreachable', evidence: 'connection refused', category: 'database' })], flowInput);
    expect(flow.classify).toBe('Integration › Database');
    expect(flow.analyse).toBe('2 checks: 1 ✅, 1 ❌');
    expect(flow.rootCause).toBe('Dependency vector-db unreachable: connection refused');
    expect(flow.fix).toEqual(['do it']);
    expect(flow.verify).toContain('/autogen health demo');
    expect(flow.escalate).toBeNull();
  });

  it('escalates with a snapshot when no root cause stands out', () => {
    const flow = buildFlow([finding({ fix: [] })], flowInput);
    expect(flow.rootCause).toBeNull();
    expect(flow.escalate).toContain('/autogen snapshot demo');
  });

  it('says nothing is wrong when all checks pass', () => {
    const flow = buildFlow([finding({ status: 'ok' })], flowInput);
    expect(flow).toMatchObject({ classify: 'No problem found', rootCause: null, fix: [], escalate: null });
  });
});

describe('reading one error (guide §2.1 dependency patterns, §2.2, §6.1)', () => {
  const deps = [
    { name: 'vector-db', kind: 'database', url: 'tcp://127.0.0.1:6999' },
    { name: 'session-cache', kind: 'cache', url: 'redis://127.0.0.1:6380' },
  ];
  it.each([
    [{ exception_type: 'ModuleNotFoundError', message: "No module named 'vectorlib'" }, 'agent_creation', GUIDE_FIXES.missingModule('vectorlib')],
    [{ exception_type: 'ConnectionRefusedError', message: '[Errno 111] Connect call failed (127.0.0.1, 6999) vector-db', dependencies: deps }, 'database', GUIDE_FIXES.databaseService],
    [{ exception_type: 'ConnectionRefusedError', message: 'connection refused to 127.0.0.1:6380', dependencies: deps }, 'cache', GUIDE_FIXES.cacheService],
    [{ exception_type: 'ConnectionError', message: 'Connection refused by api.example.com' }, 'external_api', GUIDE_FIXES.checkService],
    [{ exception_type: 'TimeoutError', message: 'operation timed out after 5 s' }, 'timeouts', GUIDE_FIXES.raiseTimeout],
    [{ exception_type: 'PermissionError', message: "[Errno 13] Permission denied: '/data'" }, 'configuration', GUIDE_FIXES.permissions],
    [{ exception_type: 'TypeError', message: 'Object of type Foo is not JSON serializable' }, 'message_delivery', GUIDE_FIXES.serialisation],
    [{ exception_type: 'MemoryError', message: '' }, 'resources', GUIDE_FIXES.memoryCleanup],
    [{ exception_type: 'OSError', message: '[Errno 28] No space left on device' }, 'storage', GUIDE_FIXES.freeDisk],
    [{ exception_type: 'RateLimitError', message: 'rate limit reached for gpt-4o' }, 'model_calls', GUIDE_FIXES.modelCalls],
    [{ exception_type: 'ToolException', message: 'search failed' }, 'tool_execution', GUIDE_FIXES.toolExecution],
    [{ exception_type: 'ToolError', message: 'tool fetch_rates failed: ' }, 'tool_execution', GUIDE_FIXES.toolExecution],
    [{ exception_type: 'ToolError', message: "tool lookup: ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 6999)", dependencies: deps }, 'database', GUIDE_FIXES.databaseService],
    [{ exception_type: 'RuntimeError', message: 'load_state failed: corrupt' }, 'state_sync', GUIDE_FIXES.stateSync],
    [{ exception_type: 'RuntimeError', message: 'injected failure in ChatAgent' }, 'business_logic', GUIDE_FIXES.businessLogic],
    [{ exception_type: 'ValueError', message: 'bad input', phase: 'construction' }, 'agent_creation', GUIDE_FIXES.registerFactory],
  ] as const)('%o → %s', (input, category, fix) => {
    const signal = readErrorSignal(input);
    expect(signal.category).toBe(category);
    expect(signal.fix).toContain(fix);
  });
});
