import { describe, expect, it } from 'vitest';
import { GUIDE_FIXES } from '../../src/diagnosis/error-signals.js';
import { INLINE_STATE_CHARS, inspectReport } from '../../src/diagnosis/inspect.js';
import { packageSnapshot, redactSecrets, REDACTED } from '../../src/diagnosis/snapshot.js';
import { DEFAULT_THRESHOLDS } from '../../src/diagnosis/thresholds.js';
import type { AgentDetail } from '../../src/runtime/schemas.js';
import { agent, healthyAgents, isoAgo, message, NOW, runtimeInfo } from './fixtures.js';

const base = { runtime: 'demo', info: runtimeInfo(), thresholds: DEFAULT_THRESHOLDS, now: NOW };

describe('inspect (guide §3.1 agent view)', () => {
  it('a healthy agent: the five sections and a healthy verdict', () => {
    const r = inspectReport({ ...base, agent: agent('ChatAgent', { message_types: ['ChatRequest'], saved_state: { default: { turns: 3, history: ['hi'] } } }) });
    expect(r.verdict.status).toBe('healthy');
    expect(r.sections.map((s) => s.title)).toEqual(['Basic info', 'Internal state', 'Queue', 'Connections', 'Performance']);
    expect(r.sections[1]?.lines[0]).toBe('default: 2 fields (turns, history), 28 bytes as JSON');
    expect(r.attachment).toBeUndefined();
  });

  it('construction errors with a missing module: agent creation, pip install', () => {
    const a = agent('ToolAgent', {
      instances: [],
      construction_errors: 2,
      recent_errors: [{ ts: isoAgo(100), agent_type: 'ToolAgent', exception_type: 'ModuleNotFoundError', message: "No module named 'fancy_tools'", phase: 'construction' }],
    });
    const r = inspectReport({ ...base, agent: a });
    expect(r.classification?.label).toBe('Runtime › Agent creation');
    expect(r.classification?.primary.title).toBe('ToolAgent cannot be created (missing Python module `fancy_tools`)');
    expect(r.flow.fix[0]).toBe('Install the missing dependency: `pip install fancy_tools`');
  });

  it('failing dependency calls are an integration finding', () => {
    const a = agent('RetrieverAgent', { dependency_calls: [{ name: 'vector-db', kind: 'database', count: 10, errors: 10, avg_ms: 1, last_error: 'connection refused' }] });
    const r = inspectReport({ ...base, agent: a });
    expect(r.classification?.category).toBe('database');
    expect(r.flow.fix).toContain(GUIDE_FIXES.databaseService);
  });

  it('agent-to-agent calls the bridge links are connections, with their failures and refusals', () => {
    const a = agent('Storefront', {
      callees: [{ agent_type: 'Inventory', count: 40, errors: 30, refused: 10 }],
      callers: [{ agent_type: 'Gateway', count: 40, errors: 40, refused: 0 }],
      message_graph: { messages: 1000, since: isoAgo(60) },
    });
    const lines = inspectReport({ ...base, agent: a }).sections.find((s) => s.title === 'Connections')?.lines ?? [];
    expect(lines).toContain('Calls Inventory: 40 messages (30 failed, 10 refused)');
    expect(lines).toContain('Called by Gateway: 40 messages (40 failed)');
    expect(lines.join('\n')).not.toContain('No dependency');
  });

  it('agent-to-agent counts say they are among the hops the bridge keeps, and a sample when it linked only some messages', () => {
    const peers = { callees: [{ agent_type: 'Inventory', count: 40, errors: 30, refused: 0 }] };
    const connections = (graph: NonNullable<AgentDetail['message_graph']>) =>
      inspectReport({ ...base, agent: agent('Storefront', { ...peers, message_graph: graph }) }).sections.find((s) => s.title === 'Connections')?.lines ?? [];
    expect(connections({ messages: 1000, since: isoAgo(60) }).at(-1)).toBe('(agent-to-agent counts are among the last 1000 message hops the bridge keeps)');
    expect(connections({ messages: 100, since: isoAgo(60), failures: 30, unlinked: 1234 }).at(-1))
      .toBe('(agent-to-agent counts are among the last 100 message hops the bridge keeps; a sample: 1,234 more messages were counted, not linked)');
  });

  it('a 100 KB saved state is summarised and attached as JSON', () => {
    const big = { default: { history: Array.from({ length: 2000 }, (_, i) => `turn ${i}: ${'x'.repeat(40)}`) } };
    const r = inspectReport({ ...base, agent: agent('ChatAgent', { saved_state: big }) });
    expect(JSON.stringify(big).length).toBeGreaterThan(100_000);
    const stateLines = r.sections[1]?.lines ?? [];
    expect(stateLines.join('\n').length).toBeLessThan(INLINE_STATE_CHARS);
    expect(r.attachment).toMatchObject({ filename: 'state-demo-ChatAgent.json', mimeType: 'application/json' });
    expect(JSON.parse(r.attachment!.content)).toEqual(big);
  });
});

describe('debug snapshot (guide §3.2)', () => {
  it('redacts secrets by key (whole value), by value shape (the secret part) and in URLs, leaving the bridge\'s *** alone', () => {
    const { value, redactedPaths } = redactSecrets({
      config: {
        openai_api_key: 'sk-live-abcdefghijklmnopqrstuvwxyz',
        db: { url: 'postgres://app:hunter2@db:5432/app', password: REDACTED },
        slack: 'xoxb-123456789012-abcdefghijkl',
        search: 'https://search.example.com/q?apikey=abc123&q=x',
        orders_db: 'host=db user=app password=hunter2 dbname=orders',
        billing: 'charging with rk_live_FAKE0000fake',
        auth: { enabled: true },
        harmless: 'hello',
        max_tokens: 512,
      },
      environment: { env: { AUTH_HEADER: 'Bearer abc.def', HOME: '/root' } },
    });
    expect(value.config.openai_api_key).toBe(REDACTED);
    expect(value.config.db.url).toBe('postgres://app:***@db:5432/app');
    expect(value.config.db.password).toBe(REDACTED);
    expect(value.config.slack).toBe(`xoxb-${REDACTED}`);
    expect(value.config.search).toBe(`https://search.example.com/q?apikey=${REDACTED}&q=x`);
    expect(value.config.orders_db).toBe(`host=db user=app password=${REDACTED} dbname=orders`);
    expect(value.config.billing).toBe(`charging with rk_live_${REDACTED}`);
    expect(value.config.auth).toEqual({ enabled: true });
    expect(value.config.harmless).toBe('hello');
    expect(value.config.max_tokens).toBe(512);
    expect(value.environment.env).toEqual({ AUTH_HEADER: `Bearer ${REDACTED}`, HOME: '/root' });
    expect([...redactedPaths].sort()).toEqual([
      '$.config.billing', '$.config.db.url', '$.config.openai_api_key', '$.config.orders_db', '$.config.search', '$.config.slack',
      '$.environment.env.AUTH_HEADER',
    ]);
  });

  it('packages the snapshot as one JSON file for the incident, with a health reading', () => {
    const snapshot = {
      taken_at: '2026-01-10T11:59:58.123Z',
      runtime: runtimeInfo(),
      agents: healthyAgents(),
      recent_messages: Array.from({ length: 50 }, () => message('ChatAgent', 'PlannerAgent')),
      config: { token: 'abc' },
      environment: { python: '3.11.7', platform: 'Linux', packages: { 'autogen-core': '0.7.5' }, env: {} },
    };
    const { report, file, redactedPaths } = packageSnapshot({ runtime: 'demo', snapshot, thresholds: DEFAULT_THRESHOLDS, now: NOW, requestedBy: 'U123', incidentId: 'inc-7' });
    expect(file.filename).toBe('snapshot-demo-20260110T115958.json');
    const doc = JSON.parse(file.content);
    expect(doc).toMatchObject({ kind: 'autogen-ops.debug-snapshot', runtime: 'demo', requested_by: 'U123', incident_id: 'inc-7' });
    expect(doc.snapshot.config.token).toBe(REDACTED);
    expect(doc.snapshot.recent_messages).toHaveLength(50);
    expect(redactedPaths).toEqual(['$.config.token']);
    expect(report.tool).toBe('snapshot');
    expect(report.verdict.status).toBe('healthy');
    expect(report.attachment).toBe(file);
    expect(report.sections[0]?.lines[1]).toBe('4 agent types; 50 recent messages (50 ok)');
  });
});
