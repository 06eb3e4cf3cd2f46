import { describe, expect, it } from 'vitest';
import { auditLine, auditText } from '../../src/slack/blocks/audit.js';
import type { AuditEntry } from '../../src/audit/stream.js';

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

  it('keeps the newest lines within Slack\'s limits and says how many were left out', () => {
    const many = Array.from({ length: 400 }, (_, i) => entry({ type: 'approval.refused', data: { code: `CODE_${i}` } }));
    const text = auditText('inc-1', many);
    expect(text.length).toBeLessThanOrEqual(9_500);
    expect(text).toMatch(/…\d+ older entries \(export with `json`\)/);
    expect(text).toContain('CODE_399');
    expect(auditText(null, [])).toContain('No entries.');
  });
});
