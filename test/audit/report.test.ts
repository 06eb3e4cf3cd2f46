import { describe, expect, it } from 'vitest';
import { auditLine, auditText } from '../../src/slack/blocks/audit.js';
import type { AuditEntry } from '../../src/audit/stream.js';
import { auditAgentsOf } from '../../src/response/bridge-actions.js';

const entry = (over: Partial<AuditEntry>): AuditEntry => ({
  id: '1-0', type: 'plan.proposed', at: '2026-01-02T03:04:05.000Z', actor: 'U0ALICE', incident_id: 'inc-1', plan_id: 'pl-a-1',
  runtime: 'demo', runbook_id: 'agent-cascade-failure', data: {}, ...over,
});

describe('audit as people read it', () => {
  it('one line per entry with time, who and what, untrusted text escaped', () => {
    expect(auditLine(entry({ data: { risk: 'high', actions: [{}] } }))).toBe('`03:04:05` <@U0ALICE> proposed `pl-a-1` (agent-cascade-failure, high risk, 1 action(s))');
    expect(auditLine(entry({ type: 'action.executed', actor: 'U0BOB', data: { status: 'applied', action: 'isolate', target: 'ToolAgent', before: { isolated: false }, after: { isolated: true } } })))
      .toBe('`03:04:05` <@U0BOB> applied isolate ToolAgent — {"isolated":false} → {"isolated":true}');
    expect(auditLine(entry({ type: 'action.failed', actor: 'system', data: { action: 'restart', target: 'X', error: '<!channel> boom' } }))).toContain('&lt;!channel&gt; boom');
  });

  it('an AgentChat participant is recorded and shown by its stable name, its registered type kept for machines', () => {
    const TYPE = 'triage_7c9e6679-7425-40de-944b-e07fc1f90ae7';
    const names = { [TYPE]: 'support/triage' };
    const fields = auditAgentsOf({ action: 'isolate', target: TYPE, body: {} }, names);
    expect(fields).toEqual({ agent: 'support/triage', agent_type: TYPE, agents: ['support/triage'], agent_types: [TYPE] });
    expect(auditAgentsOf({ action: 'isolate', target: 'ToolAgent', body: {} }, names)).toMatchObject({ agent: 'ToolAgent', agent_type: 'ToolAgent' });
    // a degrade of the whole runtime has no target, but names the agents it sheds
    const shed = auditAgentsOf({ action: 'degrade', target: null, body: { features: [], agent_types: [TYPE] } }, names);
    expect(shed).toEqual({ agents: ['support/triage'], agent_types: [TYPE] });
    expect(auditAgentsOf({ action: 'degrade', target: null, body: { features: ['web_search'], agent_types: [] } }, names)).toEqual({});

    const line = auditLine(entry({ type: 'action.executed', actor: 'U0BOB', data: { status: 'applied', action: 'isolate', target: TYPE, ...fields, before: {}, after: {} } }));
    expect(line).toContain('applied isolate support/triage');
    expect(line).not.toContain(TYPE);
    const runtimeLine = auditLine(entry({ type: 'action.executed', actor: 'U0BOB', data: { status: 'applied', action: 'degrade', target: null, ...shed, params: { agent_types: [TYPE] }, before: { degraded_agent_types: [] }, after: { degraded_agent_types: [TYPE] } } }));
    expect(runtimeLine).toContain('applied degrade runtime (agents support/triage) — {"degraded_agent_types":[]} → {"degraded_agent_types":["support/triage"]}');
    expect(runtimeLine).not.toContain(TYPE);
    const proposed = auditLine(entry({ data: { risk: 'high', actions: [{ action: 'degrade', target: null, ...shed }, { action: 'isolate', target: 'ToolAgent' }] } }));
    expect(proposed).toBe('`03:04:05` <@U0ALICE> proposed `pl-a-1` (agent-cascade-failure, high risk, 2 action(s) on support/triage, ToolAgent)');
    const reverted = auditLine(entry({ type: 'revert.executed', actor: 'system', data: { why: 'ttl', actions: [{ action: 'degrade', target: null, ...shed }] } }));
    expect(reverted).toBe('`03:04:05` system reverted `pl-a-1` on support/triage (ttl)');
  });

  it('keeps the newest lines within Slack\'s limits and says how many were left out', () => {
    const many = Array.from({ length: 400 }, (_, i) => entry({ type: 'approval.refused', data: { code: `CODE_${i}` } }));
    const text = auditText('inc-1', many);
    expect(text.length).toBeLessThanOrEqual(9_500);
    expect(text).toMatch(/…\d+ older entries \(export with `json`\)/);
    expect(text).toContain('CODE_399');
    expect(auditText(null, [])).toContain('No entries.');
  });
});
