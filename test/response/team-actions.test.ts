/**
 * Recovery plans on AgentChat teams (pure parts): a team's name targets the team (its manager), a degrade
 * step may switch off tools of the participant it targets, the runbook's and the bridge's words on what a
 * step does to the team reach the plan and outcome messages (escaped), and findings follow a participant's name.
 */
import { describe, expect, it } from 'vitest';
import { findingsFromView } from '../../src/response/findings.js';
import { buildPlan, withPredictions, type PlanInput } from '../../src/response/plan.js';
import { formatProblem, loadRunbookDir, parseRunbook } from '../../src/response/runbook-loader.js';
import type { Runbook } from '../../src/response/runbook-schema.js';
import type { RunOutcome } from '../../src/response/run.js';
import { resolveTarget } from '../../src/response/targets.js';
import { evaluateChecks } from '../../src/response/verify-checks.js';
import { buildOutcomeMessage } from '../../src/slack/blocks/plan-outcome.js';
import { buildPlanMessage } from '../../src/slack/blocks/plan.js';
import { expectWithinSlackLimits } from '../support/slack-limits.js';
import { agent, view } from './view-fixture.js';

const TID = '7c9e6679-7425-40de-944b-e07fc1f90ae7';
const TEAM = { name: 'support', kind: 'RoundRobinGroupChat', id: TID };
const TRIAGE = `triage_${TID}`;
const MANAGER = `RoundRobinGroupChatManager_${TID}`;
const teamView = view([
  agent('ToolAgent'),
  { ...agent(TRIAGE, { error_rate: 0.6, dependency_calls: [{ name: 'orders-api', errors: 9 }] }), name: 'triage', team: TEAM, role: 'participant' },
  { ...agent(`responder_${TID}`), name: 'responder', team: TEAM, role: 'participant' },
  { ...agent(MANAGER), name: 'RoundRobinGroupChatManager', team: TEAM, role: 'manager' },
], { dependencies: [{ name: 'orders-api', reachable: false, error: 'connection refused' }] });

const { runbooks } = loadRunbookDir('runbooks');
const shipped = (id: string): Runbook => {
  const r = runbooks.find((x) => x.id === id);
  if (!r) throw new Error(id);
  return r;
};

const RUNBOOK_HEAD = `id: tool-off
title: Switch off the failing tool
scenario: tool_failure
risk: medium
match: { findings: [agent.errors] }
approval: { groups: [S0AUTOGENSRE] }
verify: { checks: [{ check: new_errors_at_most, max: 0 }] }
`;

function parse(steps: string, extra = ''): ReturnType<typeof parseRunbook> {
  return parseRunbook(`${RUNBOOK_HEAD}${extra}steps:\n${steps}`, 'tool-off.yaml');
}

function input(runbook: Runbook, over: Partial<PlanInput> = {}): PlanInput {
  return {
    runbook, view: teamView, subject: { agent: 'triage', agents: ['triage'] }, runtime: 'demo', incidentId: null, requestedBy: 'U0ALICE',
    trigger: 'command', matchReasons: ['finding agent.errors'], planId: 'pl-team-abc', now: new Date('2026-01-02T03:04:05Z'), approvalTtlS: 900,
    channel: 'C0OPS', threadTs: null, ...over,
  };
}

describe('targets: a team by its name', () => {
  it('the team name resolves to its group chat manager; a participant name to the participant', () => {
    expect(resolveTarget({ select: 'agent_type', agent_type: 'support' }, teamView, { agents: [] })).toEqual({ ok: true, agentTypes: [MANAGER] });
    expect(resolveTarget({ select: 'incident_agent' }, teamView, { agent: 'support', agents: [] })).toEqual({ ok: true, agentTypes: [MANAGER] });
    expect(resolveTarget({ select: 'incident_agent' }, teamView, { agent: 'triage', agents: [] })).toEqual({ ok: true, agentTypes: [TRIAGE] });
  });

  it('findings follow a participant named as people name it (its errors, not the runtime\'s)', () => {
    expect(findingsFromView(teamView, 'triage')).toEqual(['agent.errors', 'dependency_unreachable']);
    expect(findingsFromView(teamView, 'support/responder')).toEqual(['dependency_unreachable']);
  });
});

describe('runbook schema: degrade tools and team_effect', () => {
  it('a degrade step with tools defaults to the incident agent and switches those tools off on each target', () => {
    const parsed = parse('  - action: degrade\n    temporary: true\n    params: { tools: [lookup_order] }\n');
    expect(parsed.problems.map(formatProblem)).toEqual([]);
    const res = buildPlan(input(parsed.runbook!));
    if (!res.ok) throw new Error(res.problems.join('; '));
    expect(res.plan.actions).toHaveLength(1);
    expect(res.plan.actions[0]?.body).toEqual({
      features: [], agent_types: [], tools: [{ agent_type: TRIAGE, tool: 'lookup_order' }], ttl_s: 900, reason: 'autogen-ops plan pl-team-abc (tool-off)',
    });
    expect(res.plan.checks[0]?.targets).toEqual([TRIAGE]);
    const text = JSON.stringify(buildPlanMessage(res.plan, { status: 'pending', approvers: [] }).blocks);
    expect(text).toContain("switch off the tool(s) `lookup_order` of `support/triage`"); // the name people use
    expect(text).not.toContain(TRIAGE);
  });

  it('a runbook without tools sends the same body as before (no tools key)', () => {
    const res = buildPlan(input(shipped('network-partition')));
    if (!res.ok) throw new Error(res.problems.join('; '));
    expect(res.plan.actions[0]?.body).toEqual({ features: [], agent_types: [TRIAGE], ttl_s: 900, reason: 'autogen-ops plan pl-team-abc (network-partition)' });
  });

  it('refuses tools on the runtime target, tool names that are not names, and a too short team_effect', () => {
    const onRuntime = parse('  - action: degrade\n    target: runtime\n    params: { tools: [lookup_order] }\n');
    expect(onRuntime.problems.map(formatProblem).join('\n')).toContain('degrade with tools switches off tools of participants: give an agent target');
    const badName = parse('  - action: degrade\n    params: { tools: ["lookup order"] }\n');
    expect(badName.problems.map(formatProblem).join('\n')).toContain('must be a tool name');
    const short = parse('  - action: isolate\n', 'team_effect: tiny\n');
    expect(short.problems.map(formatProblem).join('\n')).toMatch(/team_effect: Too small/);
    const empty = parse('  - action: degrade\n    params: {}\n');
    expect(empty.problems.map(formatProblem).join('\n')).toContain('degrade needs features, agent_types, tools or shed_targets: true');
  });
});

describe('the plan and outcome messages say what a step does to the team', () => {
  const res = buildPlan(input(shipped('agent-cascade-failure')));
  if (!res.ok) throw new Error(res.problems.join('; '));
  const effect = 'support/triage will answer every turn with a refusal instead of calling its model; the team keeps running; <!channel> & co';
  const plan = withPredictions(res.plan, [{ before: { isolated: false }, after: { isolated: true }, teamEffect: effect }]);

  it('the plan shows the bridge\'s team effect under its step and the runbook\'s, escaped', () => {
    expect(plan.teamEffect).toBe(shipped('agent-cascade-failure').team_effect);
    const msg = buildPlanMessage(plan, { status: 'pending', approvers: [] });
    const text = JSON.stringify(msg.blocks);
    expect(text).toContain(':busts_in_silhouette: *Team:* support/triage will answer every turn with a refusal instead of calling its model; the team keeps running; &lt;!channel&gt; &amp; co');
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('*What this runbook does to a team:* An isolated AgentChat participant answers every turn with a refusal');
    expectWithinSlackLimits(msg);
  });

  it('a plan on agents outside any team shows neither', () => {
    const plain = buildPlan(input(shipped('agent-cascade-failure'), { view: view([agent('ToolAgent', { error_rate: 0.5 })]), subject: { agent: 'ToolAgent', agents: [] } }));
    if (!plain.ok) throw new Error(plain.problems.join('; '));
    expect(plain.plan.teamEffect).toBeUndefined();
    const text = JSON.stringify(buildPlanMessage(withPredictions(plain.plan, [{ before: {}, after: {} }]), { status: 'pending', approvers: [] }).blocks);
    expect(text).not.toContain('busts_in_silhouette');
  });

  it('the outcome says what the action did to the team', () => {
    const run: RunOutcome = {
      planId: plan.id, ok: true, dryRunOnly: false,
      actions: [{ index: 0, action: 'isolate', target: TRIAGE, body: plan.actions[0]!.body, status: 'applied', idempotencyKey: 'k', actionId: 'act_1',
        before: { isolated: false }, after: { isolated: true }, teamEffect: effect, at: '2026-01-02T03:05:00.000Z' }],
    };
    const msg = buildOutcomeMessage(plan, { run, verify: null, temporary: { active: true, revertAt: '2026-01-02T03:20:00.000Z' } });
    const text = JSON.stringify(msg.blocks);
    expect(text).toContain(':busts_in_silhouette: *Team:* support/triage will answer every turn with a refusal');
    expect(text).toContain('&lt;!channel&gt; &amp; co');
  });
});

describe('verification of an action on a team member', () => {
  const since = new Date('2026-01-02T03:04:05.000Z');
  const member = (handled: number, refused: number) => ({ ...agent(TRIAGE, { handled_total: handled, refused_total: refused, degraded: true }), name: 'triage', team: TEAM, role: 'participant' });
  const turn = (id: string, outcome: string, at = '2026-01-02T03:04:07.000Z') => ({ message_id: id, message_type: 'GroupChatRequestPublish', outcome, started_at: at });
  const hears = { message_id: 'c1', message_type: 'GroupChatAgentResponse', outcome: 'ok', started_at: '2026-01-02T03:04:07.100Z' };

  it('no_deliveries: the conversation it still hears does not count; a turn it takes does', () => {
    const baseline = view([member(10, 0)]);
    // Each turn request is logged twice (publish, delivery): refused once means not taken.
    const refusedOnly = { ...view([member(14, 2)]), messages: { [TRIAGE]: [turn('t1', 'ok'), turn('t1', 'refused'), turn('t2', 'ok'), turn('t2', 'refused'), hears, turn('t0', 'ok', '2026-01-02T03:04:00.000Z')] } };
    const [ok] = evaluateChecks([{ check: 'no_deliveries', targets: [TRIAGE] }], baseline, refusedOnly, since).results;
    expect(ok).toMatchObject({ passed: true });
    expect(ok?.evidence).toBe(`${TRIAGE}: 0 turn(s) taken since the action, 2 answered with a refusal; 4 message(s) of the team's conversation received (a team member still hears it)`);
    const tookOne = { ...view([member(15, 1)]), messages: { [TRIAGE]: [turn('t3', 'ok'), turn('t3', 'ok'), hears] } };
    expect(evaluateChecks([{ check: 'no_deliveries', targets: [TRIAGE] }], baseline, tookOne, since).results[0]).toMatchObject({ passed: false });
  });
});
