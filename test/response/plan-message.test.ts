import { describe, expect, it } from 'vitest';
import { buildPlan, withPredictions } from '../../src/response/plan.js';
import { loadRunbookDir } from '../../src/response/runbook-loader.js';
import type { RunOutcome } from '../../src/response/run.js';
import type { RecoveryJudgement } from '../../src/response/recovery.js';
import { buildLinkedPlanMessage, buildNoPlanMessage, buildPlanMessage, decodeButtonValue, encodeButtonValue, PLAN_ACTIONS } from '../../src/slack/blocks/plan.js';
import { buildEscalationMessage, buildOutcomeMessage } from '../../src/slack/blocks/plan-outcome.js';
import { agent, view } from './view-fixture.js';
import { expectWithinSlackLimits } from '../support/slack-limits.js';

const { runbooks } = loadRunbookDir('runbooks');
const NOW = Date.parse('2026-01-02T03:04:05.000Z');

function plan(runbookId = 'agent-cascade-failure') {
  const runbook = runbooks.find((r) => r.id === runbookId);
  if (!runbook) throw new Error(runbookId);
  const res = buildPlan({ runbook, view: view([agent('ToolAgent', { error_rate: 0.4 })], { dependencies: [{ name: 'db', reachable: false }] }),
    subject: { agent: 'ToolAgent', agents: [] }, runtime: 'demo', incidentId: 'inc-1', requestedBy: 'U0ALICE', trigger: 'incident',
    matchReasons: ['alertname=AgentCascadeFailure'], planId: 'pl-k1-abc', now: new Date(NOW), approvalTtlS: 900, channel: 'C0OPS', threadTs: null });
  if (!res.ok) throw new Error(res.problems.join());
  return withPredictions(res.plan, [{ before: { isolated: false, instances: ['default'] }, after: { isolated: true, instances: ['default'] } }]);
}

type AnyBlock = { type: string; elements?: { action_id?: string; value?: string; confirm?: { text: { text: string } } }[]; text?: { text: string } };
const blocksOf = (m: { blocks: unknown[] }) => m.blocks as AnyBlock[];
const allText = (m: { blocks: unknown[] }) => JSON.stringify(m.blocks);

describe('a plan that acts on another agent than the one asked about', () => {
  it('says so in its first line, its text and its approval dialog, with why', () => {
    const runbook = runbooks.find((r) => r.id === 'agent-cascade-failure')!;
    const res = buildPlan({ runbook, view: view([agent('ChatAgent', { error_rate: 0 }), agent('RetrieverAgent', { error_rate: 0.9 })]),
      subject: { agent: 'ChatAgent', agents: [] }, runtime: 'demo', incidentId: null, requestedBy: 'U0ALICE', trigger: 'command',
      matchReasons: ['finding cascade'], planId: 'pl-k2-abc', now: new Date(NOW), approvalTtlS: 900, channel: 'C0OPS', threadTs: null });
    if (!res.ok) throw new Error(res.problems.join());
    expect(res.plan.actions.map((a) => a.target)).not.toContain('ChatAgent');
    expect(res.plan.subject.actsInstead).toEqual(['RetrieverAgent']);
    const msg = buildPlanMessage(res.plan, { status: 'pending', approvers: [] });
    const first = blocksOf(msg)[1]?.text?.text ?? '';
    expect(first).toMatch(/^:warning: \*This plan does not act on `ChatAgent`\*: it acts on `/);
    expect(first).toContain('because it matched on finding cascade');
    expect(msg.text).toContain('not on ChatAgent as asked');
    const confirm = blocksOf(msg).find((b) => b.type === 'actions')?.elements?.[0]?.confirm?.text.text ?? '';
    expect(confirm).toMatch(/^Not ChatAgent: acts on /);
  });

  it('a plan acting on the agent asked about carries no such line', () => {
    expect(plan().subject.actsInstead).toBeUndefined();
  });
});

describe('plan message', () => {
  const p = plan();
  it('shows steps, targets, the predicted change, risk, checks, approvers and expiry, with confirmed buttons bound to the hash', () => {
    const msg = buildPlanMessage(p, { status: 'pending', approvers: [] });
    const text = allText(msg);
    expect(text).toContain('isolate `ToolAgent` (mode refuse)');
    expect(text).toContain('temporary, reverts after 15 min unless kept');
    expect(text).toContain('Predicted: isolated: false → true');
    expect(text).toContain(':red_circle: high');
    expect(text).toContain('isolated (`ToolAgent`); no messages delivered (`ToolAgent`)');
    expect(text).toContain('a member of <!subteam^S0AUTOGENSRE>');
    expect(text).toContain('expires 03:19 UTC');
    const actions = blocksOf(msg).find((b) => b.type === 'actions');
    expect(actions?.elements?.map((e) => e.action_id)).toEqual([PLAN_ACTIONS.approve, PLAN_ACTIONS.reject]);
    expect(actions?.elements?.every((e) => e.confirm !== undefined)).toBe(true);
    expect(decodeButtonValue(actions?.elements?.[0]?.value)).toEqual({ p: p.id, h: p.hash });
    expect(actions?.elements?.[0]?.confirm?.text.text).toBe('This runs 1 action(s) on runtime demo now: isolate ToolAgent (mode refuse)');
    expectWithinSlackLimits(msg);
  });

  it('after a decision shows who and when, and the buttons are gone', () => {
    const approved = buildPlanMessage(p, { status: 'approved', approvers: [{ user: 'U0BOB', at: NOW + 60_000 }] });
    expect(allText(approved)).toContain('*Approved* by <@U0BOB> at 03:05 UTC');
    expect(blocksOf(approved).some((b) => b.type === 'actions')).toBe(false);
    const rejected = buildPlanMessage(p, { status: 'rejected', by: 'U0CAROL', at: NOW + 120_000 });
    expect(allText(rejected)).toContain('*Rejected* by <@U0CAROL> at 03:06 UTC');
    expect(blocksOf(rejected).some((b) => b.type === 'actions')).toBe(false);
  });

  it('a closed plan says why — its incident resolved, or its diagnosis changed to one no runbook answers — with no buttons', () => {
    const resolved = buildPlanMessage(p, { status: 'closed', at: NOW + 60_000, why: 'incident_resolved' });
    expect(allText(resolved)).toContain('*Closed* at 03:05 UTC: incident resolved, nothing ran');
    const changed = buildPlanMessage(p, { status: 'closed', at: NOW + 60_000, why: 'diagnosis_changed' });
    expect(allText(changed)).toContain('*Closed* at 03:05 UTC: the diagnosis changed; this plan no longer matches — no runbook matches the new finding. Nothing ran');
    expect(allText(changed)).not.toContain('incident resolved');
    for (const msg of [resolved, changed]) expect(blocksOf(msg).some((b) => b.type === 'actions')).toBe(false);
  });

  it('an expired plan offers a fresh one', () => {
    const msg = buildPlanMessage(p, { status: 'expired', at: Date.parse(p.expiresAt) });
    expect(blocksOf(msg).find((b) => b.type === 'actions')?.elements?.map((e) => e.action_id)).toEqual([PLAN_ACTIONS.replan]);
  });

  it('button values are validated on the way back', () => {
    expect(decodeButtonValue(encodeButtonValue('pl-a-1', 'a'.repeat(64)))).toEqual({ p: 'pl-a-1', h: 'a'.repeat(64) });
    expect(decodeButtonValue('{"p":"x","h":"y"}')).toBeNull();
    expect(decodeButtonValue('not json')).toBeNull();
    expect(decodeButtonValue(undefined)).toBeNull();
  });

  it('no-plan message escapes reasons', () => {
    expect(allText(buildNoPlanMessage('demo', ['<!channel> boom']))).toContain('&lt;!channel&gt; boom');
  });
});

describe('outcome and escalation messages', () => {
  const p = plan();
  const run: RunOutcome = {
    planId: p.id, ok: true, dryRunOnly: false,
    actions: [{ index: 0, action: 'isolate', target: 'ToolAgent', body: p.actions[0]!.body, status: 'replayed', idempotencyKey: 'k', actionId: 'act_1',
      before: { isolated: false }, after: { isolated: true }, expiresAt: '2026-01-02T03:20:00.000Z', at: '2026-01-02T03:05:00.000Z' }],
  };

  it('while verifying, then verified with evidence and Keep / Revert now', () => {
    const verifying = buildOutcomeMessage(p, { run, verify: null, temporary: { active: true, revertAt: '2026-01-02T03:20:00.000Z' } });
    expect(allText(verifying)).toContain('verifying after 5 s');
    expect(allText(verifying)).toContain('nothing ran twice');
    const verified = buildOutcomeMessage(p, { run, verify: { passed: true, results: [{ check: 'isolated', target: 'ToolAgent', passed: true, evidence: 'ToolAgent: isolated' }] },
      temporary: { active: true, revertAt: '2026-01-02T03:20:00.000Z' } });
    expect(allText(verified)).toContain('Fixed and verified');
    expect(allText(verified)).toContain(':white_check_mark: ToolAgent: isolated');
    expect(allText(verified)).toContain('revert by themselves at 03:20 UTC unless someone clicks Keep');
    expect(blocksOf(verified).find((b) => b.type === 'actions')?.elements?.map((e) => e.action_id)).toEqual([PLAN_ACTIONS.keep, PLAN_ACTIONS.revert]);
    const kept = buildOutcomeMessage(p, { run, verify: { passed: true, results: [] }, temporary: { active: false, kept: { by: 'U0BOB', at: NOW } } });
    expect(allText(kept)).toContain('Kept by <@U0BOB> at 03:04 UTC');
    expect(blocksOf(kept).some((b) => b.type === 'actions')).toBe(false);
  });

  it('failed verification shows the attempt count; blocked runs say why', () => {
    const failed = buildOutcomeMessage(p, { run, verify: { passed: false, results: [{ check: 'isolated', target: 'ToolAgent', passed: false, evidence: 'ToolAgent: NOT isolated' }] },
      attempts: { count: 3, max: 3 }, temporary: { active: false, reverted: { by: 'system', at: NOW, why: 'verify_failed' } } });
    expect(allText(failed)).toContain('Failed attempt 3 of 3 for this failure — automation stops here');
    expect(allText(failed)).toContain('reverted at 03:04 UTC because verification failed');
    const blocked = buildOutcomeMessage(p, { run: { ...run, ok: false, actions: [], stoppedBy: 'kill_switch', stopReason: 'Automation is switched off' }, verify: null, temporary: { active: false } });
    expect(allText(blocked)).toContain('Not run: automation is switched off');
    expect(allText(blocked)).toContain('1 further action(s) not run');
  });

  describe('the verdict on the symptom, not only the action', () => {
    const took = { passed: true, results: [{ check: 'isolated', target: 'ToolAgent', passed: true, evidence: 'ToolAgent: isolated' },
      { check: 'no_deliveries', target: 'ToolAgent', passed: true, evidence: 'ToolAgent: 0 message(s) handled since the action, 312 refused' }] };
    const j = (over: Partial<RecoveryJudgement>): RecoveryJudgement => ({
      verdict: 'mitigated', stage: 'after_action', confirmed: true, at: '2026-01-02T03:05:01.000Z',
      summary: 'The action took effect, but ChatAgent still fails: the cause is still present.',
      symptoms: [
        { agent: 'ToolAgent', roles: ['acted on'], held: 'isolated', window: { source: 'since_reference', seconds: 6, handled: 0, errors: 0, refused: 312 }, failing: false,
          evidence: 'ToolAgent (acted on): isolated — 0 handled, 312 refused in the 6 s since the action; silent because isolated, not healthy' },
        { agent: 'ChatAgent', roles: ['incident', 'caller'], held: null, window: { source: 'since_reference', seconds: 6, handled: 60, errors: 60, refused: 0 }, failing: true,
          evidence: 'ChatAgent (incident, caller): 60 of 60 failed in the 6 s since the action (100.0 %, over 5.0 % — still failing)' },
      ], ...over,
    });
    const temporary = { active: true, revertAt: '2026-01-02T03:20:00.000Z' };

    it('mitigated while the caller still fails: never "fixed"; the action\'s evidence and the symptom\'s, with true refusal counts', () => {
      const msg = buildOutcomeMessage(p, { run, verify: took, recovery: j({}), temporary });
      const text = allText(msg);
      expect(text).toContain(':large_orange_diamond: *Mitigated, cause still present.* The action took effect, but ChatAgent still fails');
      expect(text).not.toContain('Fixed and verified');
      expect(text).toContain('*The action* (took effect)');
      expect(text).toContain('312 refused');
      expect(text).not.toContain(' 0 refused');
      expect(text).toContain('*The symptom* (after the action, read at 03:05:01 UTC)');
      expect(text).toContain(':x: ChatAgent (incident, caller): 60 of 60 failed');
      expect(text).toContain(':double_vertical_bar: ToolAgent (acted on): isolated');
      expect(msg.text).toBe(`Recovery ${p.id} on demo: mitigated, cause still present`);
      expectWithinSlackLimits(msg);
    });

    it('after the release: looking again, then resolved (confirmed by traffic) or not resolved', () => {
      const reverted = { active: false, reverted: { by: 'system', at: NOW, why: 'ttl' as const } };
      expect(allText(buildOutcomeMessage(p, { run, verify: took, recovery: j({}), rechecking: true, temporary: reverted })))
        .toContain('the temporary actions ended; looking again whether it recovers');
      const resolved = buildOutcomeMessage(p, { run, verify: took, recovery: j({ verdict: 'resolved', stage: 'after_release', summary: 'ToolAgent, ChatAgent handle messages without failing.' }), temporary: reverted });
      expect(allText(resolved)).toContain(':white_check_mark: *Fixed and verified — resolved.* ToolAgent, ChatAgent handle messages');
      expect(allText(resolved)).toContain('(after the release,');
      expect(resolved.text).toContain(': resolved');
      const unconfirmed = j({ verdict: 'resolved', confirmed: false, summary: 'x' });
      expect(allText(buildOutcomeMessage(p, { run, verify: took, recovery: unconfirmed, temporary }))).toContain('*Resolved, not confirmed by traffic yet* — looking again');
      expect(allText(buildOutcomeMessage(p, { run, verify: took, recovery: { ...unconfirmed, settled: true }, temporary }))).toContain('no traffic went through these agents to confirm it');
      const again = buildOutcomeMessage(p, { run, verify: took, recovery: j({ verdict: 'unresolved', stage: 'after_release', summary: 'The temporary actions ended and ChatAgent fails again: the cause is still present.' }), temporary: reverted });
      expect(allText(again)).toContain(':x: *Not resolved — the cause is still present.*');
    });

    it('not effective keeps the words people and tests know', () => {
      const msg = buildOutcomeMessage(p, { run, verify: { passed: false, results: [] }, recovery: j({ verdict: 'not_effective', summary: 'The action did not take effect (see the checks below).' }), temporary: { active: false } });
      expect(allText(msg)).toContain(':x: *Ran, but verification failed* — not effective.');
      expect(msg.text).toContain(': not effective');
    });
  });

  it('escalation mentions the on-call group and lists everything tried', () => {
    const msg = buildEscalationMessage(p, [
      { planId: 'pl-1', runbookId: p.runbookId, tried: ['isolate `ToolAgent`'], outcome: 'verify failed: ToolAgent: NOT isolated', at: '2026-01-02T03:00:00.000Z' },
      { planId: 'pl-2', runbookId: p.runbookId, tried: [], outcome: 'bridge refused: AGENT_NOT_FOUND', at: '2026-01-02T03:10:00.000Z' },
    ], 3);
    const text = allText(msg);
    expect(text).toContain('<!subteam^S0AUTOGENONCALL> *Automation stopped for this failure*: 2 failed attempts in the last 60 min');
    expect(text).toContain('1. `pl-1` at 03:00 UTC — isolate `ToolAgent` → verify failed: ToolAgent: NOT isolated');
    expect(text).toContain('2. `pl-2` at 03:10 UTC — nothing ran → bridge refused: AGENT_NOT_FOUND');
  });
});

describe('one plan per failure', () => {
  const p = plan();

  it('a second request is pointed at the live plan, with a link and what the incident does now', () => {
    const pending = buildLinkedPlanMessage(p, { liveness: 'pending', link: 'https://slack.com/archives/C0OPS/p1', approvers: [], verdict: null, revertAt: null, incidentLinked: true });
    expect(pending.text).toContain('The same recovery plan for these agents on demo (agent-cascade-failure: isolate ToolAgent (mode refuse)) is waiting for approval (until 03:19 UTC)');
    expect(pending.text).toContain('<https://slack.com/archives/C0OPS/p1|plan pl-k1-abc>');
    expect(pending.text).toContain('it moves to mitigating when the plan runs');
    const inForce = buildLinkedPlanMessage(p, { liveness: 'in_force', link: null, approvers: ['U0ALICE'], verdict: 'mitigated', revertAt: '2026-01-02T03:20:00.000Z', incidentLinked: true });
    expect(allText(inForce)).toContain('ran (approved by <@U0ALICE>) and is in force until 03:20 UTC — mitigated, cause still present: `pl-k1-abc`.');
    expect(allText(inForce)).toContain('This incident follows it and is now mitigating.');
    expectWithinSlackLimits(inForce);
  });

  it('a pending plan another plan of the same failure replaced says which one ran', () => {
    const msg = buildPlanMessage(p, { status: 'superseded', at: NOW, byPlan: 'pl-k2-def' });
    expect(allText(msg)).toContain('Not needed: plan `pl-k2-def` for the same agents ran at 03:04 UTC');
    expect(blocksOf(msg).some((b) => b.type === 'actions')).toBe(false);
  });
});
