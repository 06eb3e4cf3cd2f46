import { describe, expect, it } from 'vitest';
import type { ResolvedCheck } from '../../src/response/plan.js';
import { evaluateChecks } from '../../src/response/verify-checks.js';
import { agent, view } from './view-fixture.js';

const SINCE = new Date('2026-01-02T03:04:05.000Z');
const c = (check: ResolvedCheck) => check;

describe('verification checks', () => {
  it('isolation: isolated and nothing delivered since (in-flight allowance), with refused count as evidence', () => {
    const baseline = view([agent('ToolAgent', { handled_total: 50, inflight: 1, isolated: true })]);
    const current = { ...view([agent('ToolAgent', { handled_total: 51, isolated: true })]),
      messages: { ToolAgent: [
        { message_id: 'm1', outcome: 'refused', started_at: '2026-01-02T03:04:06.000Z' },
        { message_id: 'm0', outcome: 'refused', started_at: '2026-01-02T03:04:00.000Z' },
      ] } };
    const out = evaluateChecks([c({ check: 'isolated', targets: ['ToolAgent'] }), c({ check: 'no_deliveries', targets: ['ToolAgent'] })], baseline, current, SINCE);
    expect(out.passed).toBe(true);
    expect(out.results.map((r) => r.evidence)).toEqual([
      'ToolAgent: isolated',
      'ToolAgent: 1 message(s) handled since the action (1 were in flight), 1 refused',
    ]);
  });

  it('refusals are the bridge\'s own count since the action, whatever the clocks of the bot and the bridge say', () => {
    // The message log's refusals carry the bridge's clock, here behind the bot's: none of them looks newer
    // than the action, but the bridge's counter says 40 were refused since the baseline.
    const baseline = view([agent('OriginAgent', { handled_total: 50, refused_total: 7, isolated: true })]);
    const current = { ...view([agent('OriginAgent', { handled_total: 50, refused_total: 47, isolated: true })]),
      messages: { OriginAgent: [{ message_id: 'm1', outcome: 'refused', started_at: '2026-01-02T03:03:00.000Z' }] } };
    const out = evaluateChecks([c({ check: 'no_deliveries', targets: ['OriginAgent'] })], baseline, current, SINCE);
    expect(out.results[0]?.evidence).toBe('OriginAgent: 0 message(s) handled since the action, 40 refused');
  });

  it('fails when messages still reach the agent', () => {
    const out = evaluateChecks([c({ check: 'no_deliveries', targets: ['ToolAgent'] })],
      view([agent('ToolAgent', { handled_total: 50 })]), view([agent('ToolAgent', { handled_total: 60 })]), SINCE);
    expect(out.passed).toBe(false);
    expect(out.results[0]?.evidence).toBe('ToolAgent: 10 message(s) handled since the action, 0 refused');
  });

  it('backpressure and in-flight limits', () => {
    const now = view([agent('ChatAgent', { max_inflight: 4, backpressured: true, inflight: 3 })]);
    const out = evaluateChecks([c({ check: 'backpressured', targets: ['ChatAgent'] }), c({ check: 'inflight_at_most', targets: ['ChatAgent'], max: 4 })], now, now, SINCE);
    expect(out).toMatchObject({ passed: true });
    const over = evaluateChecks([c({ check: 'inflight_at_most', targets: ['ChatAgent'], max: 2 })], now, now, SINCE);
    expect(over.results[0]).toMatchObject({ passed: false, evidence: 'ChatAgent: in-flight 3 (at most 2)' });
  });

  it('degrade: features off and runtime degraded', () => {
    const now = view([], { features: { web_search: false }, degraded: { active: true, features: ['web_search'], agent_types: [] } });
    const out = evaluateChecks([c({ check: 'features_disabled', features: ['web_search'], targets: null }), c({ check: 'runtime_degraded', targets: null })], now, now, SINCE);
    expect(out.passed).toBe(true);
    const on = view([], { features: { web_search: true } });
    expect(evaluateChecks([c({ check: 'features_disabled', features: ['web_search'], targets: null })], on, on, SINCE).results[0]?.evidence).toBe('feature web_search: still on');
  });

  it('memory: RSS growth bounded against the baseline', () => {
    const before = view([], { rss_bytes: 200 * 1024 * 1024 });
    const grew = view([], { rss_bytes: 300 * 1024 * 1024 });
    const out = evaluateChecks([c({ check: 'rss_not_growing', tolerance: 0.05, targets: null })], before, grew, SINCE);
    expect(out.results[0]).toMatchObject({ passed: false, evidence: 'RSS 200 → 300 MB (+50.0 %, at most +5 %)' });
  });

  it('restart: running, with no new construction errors; and a missing agent fails', () => {
    const before = view([agent('ChatAgent', { construction_errors: 2 })]);
    const ok = view([agent('ChatAgent', { construction_errors: 2 })]);
    const bad = view([agent('ChatAgent', { construction_errors: 3, instances: [] })]);
    expect(evaluateChecks([c({ check: 'agent_running', targets: ['ChatAgent'] })], before, ok, SINCE).passed).toBe(true);
    expect(evaluateChecks([c({ check: 'agent_running', targets: ['ChatAgent'] })], before, bad, SINCE).results[0]?.evidence)
      .toBe('ChatAgent: registered, 0 instance(s), 1 new construction error(s)');
    expect(evaluateChecks([c({ check: 'agent_running', targets: ['Ghost'] })], before, ok, SINCE).results[0]).toMatchObject({ passed: false, evidence: 'Ghost: not found in the runtime' });
  });

  it('no checks never passes silently', () => {
    expect(evaluateChecks([], view([]), view([]), SINCE).passed).toBe(false);
  });
});
