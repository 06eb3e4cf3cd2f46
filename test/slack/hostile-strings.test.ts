/**
 * Markup only from our code: hostile strings (mentions, channel links, disguised links, an escaped entity,
 * invisible and bidi-override characters, 40 kB) fed through every builder that posts — diagnosis and
 * guide reports, incident roots, updates and lists, the "no automatic diagnosis" note, plans, outcomes,
 * escalations, error ephemerals (slash commands, bridge refusals), logs, the audit log, the Home glance —
 * checking the notification `text` AND every text in the blocks.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditText } from '../../src/slack/blocks/audit.js';
import type { AuditEntry } from '../../src/audit/stream.js';
import type { Config } from '../../src/config.js';
import { buildFlow, classify, type Finding } from '../../src/diagnosis/classify.js';
import { unreachableReport as unreachableAgentReport } from '../../src/diagnosis/diagnose.js';
import { unreachableReport } from '../../src/diagnosis/guide-report.js';
import type { Check, Report } from '../../src/diagnosis/report.js';
import { isOpsError, OpsError } from '../../src/errors.js';
import { diagnosisTarget } from '../../src/incidents/follow-ups.js';
import type { Incident, TimelineEntry } from '../../src/incidents/store.js';
import { fileTitle } from '../../src/outbox/index.js';
import { buildPlan, withPredictions } from '../../src/response/plan.js';
import type { RunOutcome } from '../../src/response/run.js';
import { loadRunbookDir } from '../../src/response/runbook-loader.js';
import { BridgeClient } from '../../src/runtime/client.js';
import { glanceMessage } from '../../src/slack/blocks/guide-home.js';
import { guideReportMessage } from '../../src/slack/blocks/guide.js';
import { incidentList, incidentRoot, incidentUpdate } from '../../src/slack/blocks/incident.js';
import { SLACK_LIMITS } from '../../src/slack/blocks/limits.js';
import { renderRich } from '../../src/slack/blocks/rich-text.js';
import { logsMessage } from '../../src/slack/blocks/logs.js';
import { escapeText, md, type Mrkdwn } from '../../src/slack/blocks/mrkdwn.js';
import { buildOutcomeMessage, buildEscalationMessage } from '../../src/slack/blocks/plan-outcome.js';
import { buildLinkedPlanMessage, buildNoPlanMessage, buildPlanMessage } from '../../src/slack/blocks/plan.js';
import { reportMessage } from '../../src/slack/blocks/report.js';
import { slackPlanPresenter } from '../../src/slack/presenters/plans.js';
import type { Block } from '../../src/slack/blocks/vocabulary.js';
import { errorAckText, parseCommand, SUBCOMMANDS } from '../../src/slack/commands/index.js';
import { isWellFormed } from '../../src/text/shorten.js';
import { agent, view } from '../response/view-fixture.js';
import { expectWithinSlackLimits } from '../support/slack-limits.js';

/** Every hostile piece at once. */
const HOSTILE = [
  '<!channel>', '<!here>', '<!everyone>', '<@U123>', '<#C123>', '<!subteam^S123>', '<https://evil.example|click here>',
  '&lt;b&gt; stays text', '@here', 'A&B',
  '\u202Etxt.exe', 'zero\u200Bwidth', 'bom\uFEFF', 'iso\u2066late\u2069', 'mark\u200Fed', 'joiner\u2060',
].join(' ');
/** 40 kB of it. */
const BIG = `${HOSTILE} `.repeat(Math.ceil(40_000 / (HOSTILE.length + 1))).slice(0, 40_000);
const CASES: readonly [string, string][] = [['one hostile line', HOSTILE], ['40 kB', BIG]];

/** The mentions and links our own code makes in these fixtures (real-looking ids, never the hostile ones). */
const OURS = [
  /<@U0(?:ALICE|BOB)>/g,
  /<!date\^\d+\^\{date_short_pretty\} \{time(?:_secs)?\}\|[^<>|]*>/g,
  /<https:\/\/slack\.com\/archives\/C0[A-Z0-9]+\/p\d+\|[^<>|]*>/g,
  /<!subteam\^S0(?:ONCALL|AUTOGENSRE)>/g,
];
const INVISIBLE = /[\u200B\u200E\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/;

type TextObject = { type: 'mrkdwn' | 'plain_text'; text: string };

/** Every text object in the blocks (sections, fields, contexts, headers, buttons, dialogs, options). */
function textObjects(v: unknown): TextObject[] {
  if (Array.isArray(v)) return v.flatMap(textObjects);
  if (!v || typeof v !== 'object') return [];
  const o = v as Record<string, unknown>;
  const self = (o.type === 'mrkdwn' || o.type === 'plain_text') && typeof o.text === 'string' ? [o as TextObject] : [];
  return [...self, ...Object.values(o).flatMap(textObjects)];
}

/** No live markup from the input in one mrkdwn text. */
function expectInertMrkdwn(text: string, where: string): void {
  let rest = text;
  for (const re of OURS) rest = rest.replace(re, '');
  expect(rest, `${where}: a < or > not made by our code`).not.toMatch(/[<>]/);
  expect(rest, `${where}: a bare & (entities only)`).not.toMatch(/&(?!amp;|lt;|gt;)/);
  expect(text, `${where}: @here/@channel would ping`).not.toMatch(/@(?:here|channel|everyone)\b/i);
  expect(text, `${where}: invisible or bidi characters`).not.toMatch(INVISIBLE);
  expect(isWellFormed(text), `${where}: lone surrogate`).toBe(true);
}

/** A plain_text object: Slack parses nothing there; still no invisible characters and no mention token. */
function expectInertPlain(text: string, where: string): void {
  expect(text, `${where}: invisible or bidi characters`).not.toMatch(INVISIBLE);
  expect(text, `${where}: a mention token`).not.toMatch(/<[!@#]/);
  expect(text, `${where}: @here`).not.toMatch(/@(?:here|channel|everyone)\b/i);
}

/** The whole message: limits, the fallback text, every text in the blocks. */
function expectSafeMessage(msg: { text: Mrkdwn; blocks: readonly Block[] }, where: string): void {
  expectWithinSlackLimits(msg);
  expectInertMrkdwn(msg.text, `${where} (text)`);
  const objects = textObjects(msg.blocks);
  expect(objects.length, `${where}: blocks carry text`).toBeGreaterThan(0);
  for (const [i, t] of objects.entries()) {
    if (t.type === 'mrkdwn') expectInertMrkdwn(t.text, `${where} (block text ${i})`);
    else expectInertPlain(t.text, `${where} (plain text ${i})`);
  }
}

/** The input's `&lt;` shows as the four characters it was: escaped once more, never decoded to `<`. */
function expectEntityKept(all: string): void {
  expect(all).toContain('&amp;lt;b&amp;gt; stays text');
}

function allMrkdwn(msg: { text: string; blocks: readonly Block[] }): string {
  return [msg.text, ...textObjects(msg.blocks).filter((t) => t.type === 'mrkdwn').map((t) => t.text)].join('\n');
}

const NOW = Date.parse('2026-01-02T03:04:05.000Z');

function diagnosisReport(h: string): Report {
  const checks: Check[] = [
    { id: 'a', category: 'database', title: h, status: 'fail', summary: h, evidence: [h, h], suggestion: h },
    { id: 'b', category: 'database', title: 'Errors', status: 'warn', summary: h, evidence: [] },
  ];
  const findings: Finding[] = checks.map((c) => ({ check: c.id, status: c.status, category: c.category, title: c.summary, evidence: c.evidence.join('; '), fix: c.suggestion ? [c.suggestion] : [] }));
  const flow = buildFlow(findings, { collected: [h], verifyCommand: '/autogen diagnose ChatAgent prod', snapshotCommand: '/autogen snapshot prod' });
  return {
    agent: 'ChatAgent', runtime: 'prod', verdict: 'failing', classification: classify(findings), flow, headline: h, checks,
    probable_cause: h, next_steps: [h, h], follow_ups: [], generated_at: '2026-01-02T03:04:05.000Z',
  };
}

const incident = (h: string): Incident => ({
  id: 'inc-abc123', key: 'k', title: h, runtime: h, agent: h, agents: [h, 'ChatAgent'], source: h, severity: 'critical', state: 'mitigating',
  channel: 'C0ALERTS', openedAt: NOW - 60_000, startedAt: NOW - 60_000, updatedAt: NOW, resolvedAt: null, resolvedBy: null, ackedBy: h, mitigatedBy: 'U0ALICE',
  silencedUntil: null, silencedBy: null, alertsTotal: 2, alertsFiring: 1, reopenedCount: 0, version: 1, diagnosedAt: null,
});

const { runbooks } = loadRunbookDir('runbooks');
function plan(h: string) {
  const runbook = runbooks.find((r) => r.id === 'agent-cascade-failure')!;
  const res = buildPlan({ runbook, view: view([agent('ChatAgent', { error_rate: 0 }), agent('RetrieverAgent', { error_rate: 0.9 })]),
    subject: { agent: 'ChatAgent', agents: [] }, runtime: 'demo', incidentId: 'inc-1', requestedBy: 'U0ALICE', trigger: 'command',
    matchReasons: [h, h], planId: 'pl-k1-abc', now: new Date(NOW), approvalTtlS: 900, channel: 'C0OPS', threadTs: null });
  if (!res.ok) throw new Error(res.problems.join());
  const p = withPredictions(res.plan, [{ before: { isolated: false, note: h }, after: { isolated: true, note: h } }]);
  return { ...p, runbookTitle: h, actions: p.actions.map((a) => ({ ...a, why: h })), escalation: { ...p.escalation, oncallGroup: 'S0ONCALL' } };
}

describe.each(CASES)('hostile strings (%s) through every posting path', (_name, h) => {
  it('diagnosis report: headline, checks, cause, steps, flow, and the unreachable report of an exception text', () => {
    const msg = reportMessage(diagnosisReport(h));
    expectSafeMessage(msg, 'report');
    if (h === HOSTILE) expectEntityKept(allMrkdwn(msg));
    expectSafeMessage(reportMessage(unreachableAgentReport('ChatAgent', 'prod', 'http://127.0.0.1:1', h, new Date(NOW))), 'unreachable report');
  });

  it('guide report: headline, subject, sections, flow, attachment name (health unreachable and a hand-built report)', () => {
    const base = unreachableReport({ tool: 'health', runtime: h, subject: h, now: new Date(NOW), reason: h });
    expectSafeMessage(guideReportMessage(base), 'guide unreachable');
    const rich = { ...base, sections: [{ title: h, lines: [h, h, h] }], attachment: { filename: h, title: h, mimeType: 'text/plain', content: h } };
    const msg = guideReportMessage(rich, { followUps: [{ action_id: 'guide:logs', label: h, value: '{}' }] });
    expectSafeMessage(msg, 'guide rich');
    if (h === HOSTILE) expectEntityKept(allMrkdwn(msg));
  });

  it('incident root, thread update with notes and alert details, and the incident list', () => {
    expectSafeMessage(incidentRoot(incident(h), NOW), 'incident root');
    expectSafeMessage(incidentRoot({ ...incident(h), state: 'resolved', resolvedAt: NOW, resolvedBy: h }, NOW), 'incident resolved');
    const entries: TimelineEntry[] = [
      { v: 1, at: NOW, k: 'firing', t: h, fp: 'fp1' } as TimelineEntry,
      { v: 2, at: NOW, k: 'state', to: 'acknowledged', by: h, note: h } as TimelineEntry,
      { v: 3, at: NOW, k: 'state', to: 'mitigating', by: 'U0ALICE', note: h } as TimelineEntry,
    ];
    const details = [{ fingerprint: 'fp1', status: 'firing' as const, startsAt: NOW, endsAt: null, detail: { labels: { alertname: h, runtime: h }, annotations: { description: h } } }];
    const update = incidentUpdate(incident(h), entries, NOW, details as never);
    expect(update).toBeDefined();
    expectSafeMessage(update!, 'incident update');
    const list = incidentList([{ ...incident(h), rootTs: '1700000000.000100' }, { ...incident(h), id: 'inc-2' }], NOW);
    expectSafeMessage(list, 'incident list');
  });

  it('"No automatic diagnosis": a runtime label that is not configured, and the error of "Diagnose again"', () => {
    const runtimes = { byName: { prod: {} }, defaultName: 'prod' } as unknown as Config['runtimes'];
    const target = diagnosisTarget({ ...incident(h), runtime: h }, runtimes, ['runtime']);
    expect('reason' in target).toBe(true);
    const reason = renderRich('reason' in target ? target.reason : md``);
    expectInertMrkdwn(md`No automatic diagnosis: ${reason}.`, 'no-diagnosis note');
    const err = new OpsError('INCIDENT_NOT_DIAGNOSABLE', {}, { detail: md`(${reason})` });
    expectInertMrkdwn(errorAckText(err), 'not-diagnosable ephemeral');
    expect(errorAckText(err).length).toBeLessThan(SLACK_LIMITS.messageText);
  });

  it('plan (pending, approved, rejected), no-plan, linked plan, outcome and escalation', () => {
    const p = plan(h);
    expectSafeMessage(buildPlanMessage(p, { status: 'pending', approvers: [], note: h }), 'plan pending');
    expectSafeMessage(buildPlanMessage(p, { status: 'approved', approvers: [{ user: 'U0BOB', at: NOW }] }), 'plan approved');
    expectSafeMessage(buildPlanMessage(p, { status: 'rejected', by: h, at: NOW }), 'plan rejected');
    expectSafeMessage(buildNoPlanMessage(h, [h, h]), 'no plan');
    expectSafeMessage(buildLinkedPlanMessage(p, { liveness: 'in_force', link: 'https://slack.com/archives/C0OPS/p1', approvers: ['U0BOB', h], verdict: 'mitigated', revertAt: null, incidentLinked: true }), 'linked plan');
    const run: RunOutcome = {
      planId: p.id, ok: false, dryRunOnly: false, stopReason: h,
      actions: [
        { index: 0, action: 'isolate', target: h, body: { mode: h }, status: 'failed', error: h, idempotencyKey: 'k', at: '2026-01-02T03:05:00.000Z' },
        { index: 1, action: 'restart', target: 'ChatAgent', body: { agent_key: h }, status: 'applied', before: { s: h }, after: { s: h }, teamEffect: h, idempotencyKey: 'k2', at: '2026-01-02T03:05:00.000Z' },
      ],
    } as unknown as RunOutcome;
    const outcome = buildOutcomeMessage(p, {
      run, verify: { passed: false, results: [{ check: 'isolated', target: h, passed: false, evidence: h }] },
      recovery: { verdict: 'unresolved', stage: 'after_action', confirmed: true, settled: true, at: '2026-01-02T03:05:01.000Z', summary: h,
        symptoms: [{ agent: h, roles: [], held: null, window: null, failing: true, evidence: h }] } as never,
      attempts: { count: 3, max: 3 }, temporary: { active: false, reverted: { by: h, at: NOW, why: 'manual' } },
    });
    expectSafeMessage(outcome, 'outcome');
    if (h === HOSTILE) expectEntityKept(allMrkdwn(outcome));
    const escalation = buildEscalationMessage(p, [{ planId: 'pl-1', runbookId: h, tried: [h], outcome: h, at: '2026-01-02T03:00:00.000Z' }], 3);
    expectSafeMessage(escalation, 'escalation');
  });

  it('logs reply, audit log and the Home glance', () => {
    const records = [{ ts: '2026-01-02T03:04:05.000Z', level: 'ERROR', logger: h, event: h, message: h }] as never;
    expectSafeMessage(logsMessage(h, h, records, 15), 'logs');
    const entries: AuditEntry[] = [
      { id: '1-0', type: 'action.failed', at: '2026-01-02T03:04:05.000Z', actor: h, plan_id: 'pl-1', data: { action: h, target: h, error: h } },
      { id: '2-0', type: 'action.executed', at: '2026-01-02T03:04:06.000Z', actor: 'U0ALICE', data: { status: h, action: h, before: { x: h }, after: { x: h } } },
      { id: '3-0', type: 'plan.proposed', at: '2026-01-02T03:04:07.000Z', actor: 'U0BOB', runbook_id: h, data: { risk: h, actions: [] } },
      { id: '4-0', type: 'revert.executed', at: '2026-01-02T03:04:08.000Z', actor: h, data: { why: h } },
    ] as unknown as AuditEntry[];
    const audit = auditText(null, entries);
    expectInertMrkdwn(audit, 'audit');
    expect(audit.length).toBeLessThanOrEqual(SLACK_LIMITS.messageText);
    if (h === HOSTILE) expectEntityKept(audit);
    expectSafeMessage(glanceMessage([{ runtime: h, error: h }], '/autogen', SUBCOMMANDS, new Date(NOW)), 'glance');
  });

  it('error ephemerals: a hostile word in a slash command, and a file title', () => {
    const ctx = {
      config: { runtimes: { byName: { prod: {} }, defaultName: 'prod' }, slack: { command: '/autogen' }, thresholds: {} },
      user: 'U0ALICE', channel: 'C0OPS', team: 'T1', now: new Date(NOW), requestId: 'r1',
    } as never;
    for (const text of [h.slice(0, 3_000), `diagnose ${h.slice(0, 3_000)}`, `diagnose ChatAgent ${h.slice(0, 3_000)}`, `trace ${h.slice(0, 3_000)}`, `audit ${h.slice(0, 3_000)}`]) {
      const r = parseCommand(text, ctx);
      const ack = r.ok ? r.ack : errorAckText(r.error);
      expectInertMrkdwn(ack, `command ${text.slice(0, 20)}`);
    }
    const title = fileTitle(h);
    expectInertPlain(title, 'file title');
    expect(title.length).toBeLessThanOrEqual(250);
  });
});

describe('the one escaper', () => {
  it('escapes &, < and > once, keeps an input entity as text, removes invisible and bidi characters, breaks @here', () => {
    expect(escapeText('<!here> & <b>')).toBe('&lt;!here&gt; &amp; &lt;b&gt;');
    expect(escapeText('&lt;')).toBe('&amp;lt;');
    expect(escapeText('\u202Etxt.exe zero\u200Bwidth \uFEFFbom \u2066iso\u2069')).toBe('txt.exe zerowidth bom iso');
    expect(escapeText('@here and @channel, mail me@example.com')).toBe('@\u2060here and @\u2060channel, mail me@example.com');
    expect(escapeText('👨‍👩‍👧 می‌خواهم')).toBe('👨‍👩‍👧 می‌خواهم'); // ZWJ and ZWNJ stay
  });

  it('an action summary (incident notes, failed attempts) is plain text, escaped exactly once where it is shown', () => {
    const summary = slackPlanPresenter.actionSummary({ action: 'isolate', target: 'Tool<&>Agent', body: {} });
    // a plan's note on its incident ("plan … : isolate …", src/response/carry-out.ts) in the thread update
    const note = `plan pl-k1-abc: ${summary}`;
    const update = incidentUpdate(incident('ChatAgent'), [{ v: 3, at: NOW, k: 'state', to: 'mitigating', by: 'U0ALICE', note } as TimelineEntry], NOW, []);
    const shown = allMrkdwn(update!);
    expect(shown).toContain('Tool&lt;&amp;&gt;Agent');
    expect(shown).not.toMatch(/&amp;(?:lt|gt|amp);/);
    expectSafeMessage(update!, 'incident update with an action summary');
    // the same summary among the attempts of an escalation
    const escalation = buildEscalationMessage(plan('ChatAgent'), [{ planId: 'pl-1', runbookId: 'rb', tried: [summary], outcome: 'checks failed', at: '2026-01-02T03:00:00.000Z' }], 3);
    expect(allMrkdwn(escalation)).toContain('Tool&lt;&amp;&gt;Agent');
    expect(allMrkdwn(escalation)).not.toMatch(/&amp;(?:lt|gt|amp);/);
    expectSafeMessage(escalation, 'escalation with an action summary');
    // stored as the words, not as markup
    expect(summary).toContain('Tool<&>Agent');
    expect(summary).not.toContain('`');
  });

  it('escaping text that is already Slack markup is a type error', () => {
    const once = escapeText('A<B');
    // @ts-expect-error already Mrkdwn: escaping it again would show `&amp;lt;`
    expect(escapeText(once)).toBe('A&amp;lt;B');
    expect(once).toBe('A&lt;B');
  });

  it('makes an untrusted string a type error where Slack markup is expected', () => {
    const post = (text: Mrkdwn): Mrkdwn => text;
    // @ts-expect-error a raw string is not Mrkdwn: it must pass escapeText (or be our literal via md``)
    post('<!channel>');
    // @ts-expect-error md`` interpolates only Mrkdwn and numbers
    void md`hello ${'<!channel>'}`;
    expect(post(md`hello ${escapeText('<!channel>')}`)).toBe('hello &lt;!channel&gt;');
  });
});

describe('a bridge refusal shown to a person (integration: real HTTP on loopback)', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    server = createServer((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: '<!channel>', message: HOSTILE } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('the ephemeral escapes the exception text once; the plain message keeps it readable for the report', async () => {
    const client = new BridgeClient({ name: 'prod', url, token: 't' } as never, { connectMs: 1_000, requestMs: 2_000 });
    try {
      const err = await client.agents().then(() => null, (e: unknown) => e);
      expect(isOpsError(err, 'RUNTIME_REQUEST_REJECTED')).toBe(true);
      const e = err as OpsError;
      const ack = errorAckText(e);
      expectInertMrkdwn(ack, 'bridge refusal ephemeral');
      expect(ack).toContain('&amp;lt;b&amp;gt; stays text');
      // Plain text for the report that renders it (escaped there once, not twice).
      expect(e.message).toContain('<https://evil.example|click here>');
      const report = reportMessage(unreachableAgentReport('ChatAgent', 'prod', url, `${e.code}: ${e.message}`, new Date(NOW)));
      expectSafeMessage(report, 'report of a bridge refusal');
      expect(allMrkdwn(report)).toContain('&lt;https://evil.example|click here&gt;');
      expect(allMrkdwn(report)).not.toContain('&amp;lt;https');
    } finally {
      await client.close();
    }
  });
});
