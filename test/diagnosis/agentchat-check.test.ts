/** AgentChat signals in `/autogen diagnose`: tool errors through the guide's dependency patterns, model 429s as
 * rate limiting, a team stopped by max turns said as such (bridge-shaped objects, docs/bridge-api.md). */
import { describe, expect, it } from 'vitest';
import { diagnoseAgent } from '../../src/diagnosis/diagnose.js';
import { readErrorSignal } from '../../src/diagnosis/error-signals.js';
import type { DiagnosisInput } from '../../src/diagnosis/input.js';
import type { AgentDetail, RuntimeInfo } from '../../src/runtime/schemas.js';

const now = new Date('2026-01-01T12:00:00Z');
const TOOL_ERROR = "ConnectionRefusedError: [Errno 111] Connect call failed ('127.0.0.1', 6999)";

function info(over: Partial<RuntimeInfo> = {}): RuntimeInfo {
  return { name: 'prod', autogen_core_version: '0.7.5', uptime_s: 3600, queue_depth: 0, inflight: 0, rss_bytes: 80e6, cpu_percent: 5, memory_percent: 30, disk_percent: 40, agent_types: [], dependencies: [], ...over };
}

const runs = (over: Partial<NonNullable<AgentDetail['team_runs']>> = {}): AgentDetail['team_runs'] => ({
  team: 'support', kind: 'RoundRobinGroupChat', manager: 'RoundRobinGroupChatManager_x', started: 3, finished: 3, stopped: 3, max_turns_reached: 3, failed: 0,
  last_ended_by: 'max_turns', last_ended_at: now.toISOString(), last_stop_reason: 'Maximum number of turns 2 reached.', last_error: null, ...over,
});

function detail(over: Partial<AgentDetail> = {}): AgentDetail {
  return { type: 'stock_checker_x', name: 'stock_checker', registered: true, instances: ['x'], inflight: 0, max_inflight: null, handled_total: 30, errors_total: 0, error_rate: 0, latency_ms: { count: 30, avg: 12, p50: 10, p95: 30, p99: 40, max: 50 }, isolated: false, backpressured: false, degraded: false, last_error: null, construction_errors: 0, recent_errors: [], dependency_calls: [], tool_calls: [], handoffs: [], team_runs: runs(), ...over };
}

function input(over: Partial<DiagnosisInput> = {}): DiagnosisInput {
  return { agent: 'stock_checker_x', label: 'stock_checker', runtime: 'prod', health: { status: 'ok', runtime: 'prod', uptime_s: 3600 }, info: info(), detail: detail(), logs: [], windowS: 900, ...over };
}

describe('AgentChat check', () => {
  it('a tool whose backend refuses connections: failing, names the tool and the declared dependency, its category and fix', () => {
    const deps = [{ name: 'inventory-db', kind: 'database', url: 'tcp://127.0.0.1:6999', reachable: false, error: 'connection refused' }];
    const r = diagnoseAgent(input({
      info: info({ dependencies: deps }),
      detail: detail({
        errors_total: 12, error_rate: 1, window_errors: 12, errors_by_type: { ToolError: 12 },
        tool_calls: [{ tool: 'check_inventory', count: 12, errors: 12, avg_ms: 3, p95_ms: 5, last_error: TOOL_ERROR }],
        recent_errors: [{ ts: now.toISOString(), agent_type: 'stock_checker_x', agent_key: 'x', exception_type: 'ToolError', message: `tool check_inventory failed: ${TOOL_ERROR}`, traceback: null, message_id: 'm', message_type: 'GroupChatRequestPublish', phase: 'handler' }],
      }),
    }), { now });
    expect(r.verdict).toBe('failing');
    const check = r.checks.find((c) => c.id === 'agentchat')!;
    expect(check.status).toBe('fail');
    expect(check.category).toBe('database');
    expect(check.summary).toContain('Tool check_inventory fails in 100');
    expect(check.summary).toContain('inventory-db');
    expect(check.evidence[0]).toContain('Tool check_inventory: 12/12 calls failed');
    expect(check.suggestion).toContain('pg_isready');
    expect(r.classification?.label).toBe('Integration › Database');
    expect(r.checks.find((c) => c.id === 'errors')?.summary).toMatch(/Error rate 100/);
    // The tool's fix and the errors check's fix open with the same advice: the next steps say it once.
    expect(r.next_steps.filter((step) => step.startsWith('Check the database')), JSON.stringify(r.next_steps)).toHaveLength(1);
  });

  it('a tool error with no declared dependency still goes through the guide\'s patterns (refused connection: an external service)', () => {
    const signal = readErrorSignal({ exception_type: 'ToolError', message: `tool check_inventory failed: ${TOOL_ERROR}` });
    expect(signal.category).toBe('external_api');
    const r = diagnoseAgent(input({ detail: detail({ tool_calls: [{ tool: 'check_inventory', count: 4, errors: 4, last_error: TOOL_ERROR }] }) }), { now });
    expect(r.checks.find((c) => c.id === 'agentchat')).toMatchObject({ status: 'fail', category: 'external_api' });
  });

  it('model 429s read as rate limiting, with the guide\'s fix for model calls', () => {
    const r = diagnoseAgent(input({
      detail: detail({ model_calls: { calls: 10, errors: 6, errors_by_type: { RateLimitError: 6 }, error_rate: 0.6, last_error: 'RateLimitError: Error code: 429 - Rate limit reached', prompt_tokens: 400, completion_tokens: 120, avg_ms: 40, p95_ms: 90 } }),
    }), { now });
    const check = r.checks.find((c) => c.id === 'agentchat')!;
    expect(check).toMatchObject({ status: 'fail', category: 'model_calls' });
    expect(check.summary).toContain('rate-limits calls (HTTP 429)');
    expect(check.evidence.join(' ')).toContain('RateLimitError ×6');
    expect(check.suggestion).toMatch(/rate limits.*back-off/);
    expect(r.classification?.label).toBe('Application › Model calls');
  });

  it('a team stopped by max turns is said so, as a notice that does not make a healthy agent failing', () => {
    const r = diagnoseAgent(input(), { now });
    expect(r.verdict).toBe('healthy');
    const check = r.checks.find((c) => c.id === 'agentchat')!;
    expect(check.status).toBe('ok');
    expect(check.summary).toBe('Team support stopped by max turns in 3 of 3 runs.');
    expect(check.evidence.join(' ')).toContain('the last run was stopped by max turns');
  });

  it('a plain autogen-core agent gets no AgentChat check', () => {
    const r = diagnoseAgent(input({ detail: detail({ tool_calls: [], team_runs: null, handoffs: [], model_calls: null }) }), { now });
    expect(r.checks.map((c) => c.id)).not.toContain('agentchat');
  });
});
