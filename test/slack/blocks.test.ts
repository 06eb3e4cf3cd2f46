/** Block Kit builders are pure and never produce a message Slack would reject. */
import { describe, expect, it } from 'vitest';
import { reportMessage } from '../../src/slack/blocks/report.js';
import { escapeText } from '../../src/slack/blocks/mrkdwn.js';
import { logsMessage } from '../../src/slack/blocks/logs.js';
import type { Check, Report } from '../../src/diagnosis/report.js';
import { buildFlow, classify, type Finding } from '../../src/diagnosis/classify.js';
import { expectWithinSlackLimits } from '../support/slack-limits.js';

type CheckIn = Omit<Check, 'category'> & { category?: Check['category'] };

function report(given: CheckIn[], over: Partial<Report> = {}): Report {
  const checks: Check[] = given.map((c) => ({ category: 'database', ...c }));
  const findings: Finding[] = checks.map((c) => ({ check: c.id, status: c.status, category: c.category, title: c.summary, evidence: c.evidence.join('; '), fix: c.suggestion ? [c.suggestion] : [] }));
  const flow = buildFlow(findings, { collected: ['runtime info'], verifyCommand: '/autogen diagnose ChatAgent prod', snapshotCommand: '/autogen snapshot prod' });
  return { agent: 'ChatAgent', runtime: 'prod', verdict: 'failing', classification: classify(findings), flow, headline: 'ChatAgent on prod is failing', checks, probable_cause: 'x', next_steps: ['a', 'b'], follow_ups: [{ action_id: 'diag:logs', label: 'Show logs', value: '{"a":"ChatAgent","r":"prod"}' }], generated_at: '2026-01-01T00:00:00.000Z', ...over };
}

function allTexts(blocks: Record<string, unknown>[]): string[] {
  return blocks.flatMap((b) => {
    const t = (b.text as { text?: string } | undefined)?.text;
    const els = ((b.elements as { text?: unknown }[] | undefined) ?? []).map((e) => (typeof e.text === 'string' ? e.text : ''));
    return [...(t ? [t] : []), ...els];
  });
}

describe('reportMessage', () => {
  it('escapes an exception text that reaches the headline in the notification text as well as in blocks', () => {
    const msg = reportMessage(report([{ id: 'a', title: 'Errors', status: 'fail', summary: 'x', evidence: [] }], { headline: 'ChatAgent is failing: <!channel> <https://evil.example|click>' }));
    expect(msg.text).not.toContain('<!channel>');
    expect(msg.text).not.toContain('<https://evil');
    expect(msg.text).toContain('&lt;!channel&gt;');
  });

  it('verdict header, the guide\'s category, one ✅/⚠️/❌ line per check with evidence, cause, next steps, flow, buttons', () => {
    const msg = reportMessage(report([
      { id: 'a', title: 'Registration', status: 'ok', summary: 'fine', evidence: ['1 instance'] },
      { id: 'b', title: 'Dependencies', status: 'fail', summary: 'refused', evidence: ['vector-db refused'], suggestion: 'start vector-db' },
      { id: 'c', title: 'Performance', status: 'warn', summary: 'slow-ish', evidence: [] },
    ]));
    const texts = allTexts(msg.blocks).join('\n');
    expect(msg.blocks[0]).toMatchObject({ type: 'header' });
    expect(texts).toContain('❌ ChatAgent on prod — Failing');
    expect(texts).toContain('✅ *Registration* — fine');
    expect(texts).toContain('❌ *Dependencies* — refused');
    expect(texts).toContain('_Fix:_ start vector-db');
    expect(texts).toContain('⚠️ *Performance*');
    expect(texts).toContain('*Probable cause*');
    expect(texts).toContain('1. a');
    expect(texts).toContain('category: *Integration › Database*');
    expect(texts).toContain('*Flow* classify: Integration › Database → collect: runtime info → analyse: 3 checks: 1 ✅, 1 ⚠️, 1 ❌');
    expect(texts).toContain('verify: Re-run `/autogen diagnose ChatAgent prod` after the fix');
    expect(msg.blocks.at(-1)).toMatchObject({ type: 'actions' });
    expect(msg.text).toContain('ChatAgent on prod is failing');
  });

  it('a healthy report says no problem found', () => {
    const msg = reportMessage(report([{ id: 'a', title: 'Registration', status: 'ok', summary: 'fine', evidence: [] }], { verdict: 'healthy' }));
    const texts = allTexts(msg.blocks).join('\n');
    expect(texts).toContain('category: *no problem found*');
    expect(texts).toContain('*Flow* classify: No problem found');
  });

  it('60 checks with huge evidence still fit: ≤ 50 blocks, every section ≤ 3,000 chars, a summary of the rest', () => {
    const checks: CheckIn[] = Array.from({ length: 60 }, (_, i) => ({ id: `c${i}`, title: `Check ${i}`, status: i % 2 ? 'fail' : 'ok', summary: 'x'.repeat(500), evidence: Array.from({ length: 40 }, () => 'e'.repeat(400)) }));
    const msg = reportMessage(report(checks));
    expectWithinSlackLimits(msg);
    expect(allTexts(msg.blocks).join('\n')).toMatch(/…and \d+ more checks \(not ok:/);
    expect(allTexts(msg.blocks).join('\n')).toContain('more');
  });

  it('a button whose value Slack would reject (≥ 2,000 chars) is left out and said so', () => {
    const msg = reportMessage(report([], { follow_ups: [{ action_id: 'diag:logs', label: 'Show logs', value: 'v'.repeat(2_000) }, { action_id: 'diag:rerun', label: 'Run again', value: '{}' }] }));
    const actions = msg.blocks.find((b) => b.type === 'actions') as unknown as { elements: { value: string }[] };
    expect(actions.elements).toHaveLength(1);
    expectWithinSlackLimits(msg);
    expect(allTexts(msg.blocks).join('\n')).toContain('1 follow-up button(s) left out');
  });

  it('escapes text from outside so it cannot ping a channel or inject links', () => {
    const msg = reportMessage(report([{ id: 'a', title: 'Errors', status: 'fail', summary: 'boom <!channel>', evidence: ['<https://evil.example|click> & more'] }], { headline: 'hi <@U123>' }));
    const texts = allTexts(msg.blocks).join('\n');
    expect(texts).not.toContain('<!channel>');
    expect(texts).not.toContain('<https://evil');
    expect(texts).not.toContain('<@U123>');
    expect(escapeText('<!here> & <b>')).toBe('&lt;!here&gt; &amp; &lt;b&gt;');
  });

  it('logsMessage keeps the newest lines within a section and flags truncation', () => {
    const records = Array.from({ length: 200 }, (_, i) => ({ ts: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.000Z`, level: 'ERROR', event: 'MessageHandlerExceptionEvent', message: `error number ${i} ${'z'.repeat(50)}` }));
    const msg = logsMessage('ChatAgent', 'prod', records, 15);
    expect(msg.truncated).toBe(true);
    expectWithinSlackLimits(msg);
    expect(allTexts(msg.blocks).join('\n')).toContain('error number 199');
  });

  it('logsMessage says how many events sampled records stand for, on the header and on each line', () => {
    const records = [
      { ts: '2026-01-01T00:00:01.000Z', level: 'ERROR', event: 'MessageHandlerExceptionEvent', message: 'refused', count: 1200 },
      { ts: '2026-01-01T00:00:02.000Z', level: 'ERROR', event: 'MessageHandlerExceptionEvent', message: 'refused' },
    ];
    const text = allTexts(logsMessage('ChatAgent', 'prod', records, 15).blocks).join('\n');
    expect(text).toContain('2 records standing for 1,201 events');
    expect(text).toContain('ERROR ×1,200 MessageHandlerExceptionEvent refused');
    expect(text).toContain('ERROR MessageHandlerExceptionEvent refused');
    const plain = allTexts(logsMessage('ChatAgent', 'prod', records.slice(1), 15).blocks).join('\n');
    expect(plain).not.toContain('standing for');
  });
});
