/**
 * A later diagnosis of an incident that matches no runbook closes the incident's pending plan made from the
 * earlier one (issue 14), with the real demo fleet and the shipped runbooks. The incident's alert
 * (`AutoGenAgentErrors`) names no runbook by its labels, so its plans come from its diagnosis' findings:
 * - the first diagnosis finds timeouts: the message-timeout plan is proposed and waits for approval;
 * - diagnosed again, the finding is one no runbook answers: "No recovery plan", and the pending plan is closed
 *   — its message says the diagnosis changed and no runbook matches the new finding, its Approve button is
 *   gone, and its old button is refused (approving it would act on a stale cause); the audit log says why.
 * The plan requests are the ones the diagnosis queues (src/incidents/follow-ups.ts: source `incident`, no
 * labels — the incident's alerts are read — and the diagnosis' findings), queued here directly.
 */
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/approvals/consume.js';
import { readAudit } from '../../src/audit/stream.js';
import type { NormalizedAlert } from '../../src/incidents/alert.js';
import { waitFor } from '../support/poll.js';
import { ALICE, blocksText, latestBlocks, planIdOf, queueAlerts, requestIncidentPlan, responseTestHooks } from '../support/response-bot.js';

const CHANNEL = 'C0PLANUNMATCH';
const rt = responseTestHooks({
  fleet: { rate: 10 }, runbooks: { ttlS: 60, settleS: 1 },
  env: { ALERT_CHANNEL: CHANNEL, ALERT_AUTO_DIAGNOSE: 'false', ALERT_AUTO_PLAN: 'false', ALERT_COALESCE_MS: '200' },
});

const alert: NormalizedAlert = {
  source: 'alertmanager', kind: 'alertmanager', fingerprint: 'chaterrors000001', status: 'firing',
  labels: { alertname: 'AutoGenAgentErrors', runtime: 'demo', agent_type: 'ChatAgent', severity: 'error' },
  annotations: { summary: 'ChatAgent is raising errors' }, startsAt: new Date(Date.now() - 60_000).toISOString(), endsAt: null,
  generatorURL: null, groupKey: '{}:{alertname="AutoGenAgentErrors"}',
};

const inThread = (threadTs: string) => rt.sandbox.messages.filter((m) => m.channel === CHANNEL && m.thread_ts === threadTs);
const plansIn = (threadTs: string) => inThread(threadTs).filter((m) => blocksText(m).includes('Recovery plan:'));
const noPlansIn = (threadTs: string) => inThread(threadTs).filter((m) => blocksText(m).includes('No recovery plan'));

describe('an incident\'s pending plan when its diagnosis changes to one no runbook answers', () => {
  it('is closed, its message saying why, and its Approve button refused', async () => {
    const { sandbox, bot, redis } = rt;
    await queueAlerts(bot, [alert]);
    const root = await waitFor(() => sandbox.messages.find((m) => m.channel === CHANNEL && m.thread_ts === undefined && /inc-[a-z0-9]+/.test(blocksText(m))),
      { what: 'the incident root', timeoutMs: 30_000 });
    const incidentId = /inc-[a-z0-9]+/.exec(blocksText(root))![0];
    const diagnosed = (findings: string[], n: number) => requestIncidentPlan(bot, {
      channel: CHANNEL, incidentId, agent: 'ChatAgent', source: 'incident', findings, jobId: `plan-${incidentId}-test-${n}`,
    });

    // the first diagnosis: timeouts → the message-timeout plan, waiting for approval
    await diagnosed(['diagnose.timeout', 'timeout'], 1);
    const first = await waitFor(() => plansIn(root.ts)[0], { what: 'the plan of the first diagnosis', timeoutMs: 30_000 });
    const firstId = planIdOf(first);
    expect(blocksText(first)).toContain('plan:approve');
    const pendingBlocks = structuredClone(first.blocks); // with its Approve button, as people saw it
    expect((await loadPlan(redis, bot.prefix, firstId))?.status).toBe('pending');

    // diagnosed again: a finding no runbook answers
    await diagnosed(['diagnose.unexplained'], 2);
    await waitFor(() => noPlansIn(root.ts).length > 0, { what: '"No recovery plan" for the new diagnosis', timeoutMs: 30_000 });
    await waitFor(() => latestBlocks(first).includes('the diagnosis changed'), { what: 'the first plan closed', timeoutMs: 20_000 });
    expect(latestBlocks(first)).toContain('this plan no longer matches — no runbook matches the new finding');
    expect(latestBlocks(first)).not.toContain('plan:approve');
    expect((await loadPlan(redis, bot.prefix, firstId))).toMatchObject({ status: 'superseded', decidedBy: 'diagnosis-changed' });
    expect(plansIn(root.ts).map(planIdOf)).toEqual([firstId]);

    // its old Approve button is refused: nothing is approved, nothing runs
    await sandbox.clickButton(bot.eventsUrl, { ...first, blocks: pendingBlocks }, 'plan:approve', ALICE);
    await waitFor(() => sandbox.ephemerals.some((e) => e.user === ALICE), { what: 'the click answered' });
    // and told why, in the words of the plan's message (not "replaced by a newer plan": none was made)
    expect(sandbox.ephemerals.find((e) => e.user === ALICE)?.text).toContain("closed at");
    expect(sandbox.ephemerals.find((e) => e.user === ALICE)?.text).toContain("the incident's diagnosis changed and this plan no longer matches it");
    expect((await loadPlan(redis, bot.prefix, firstId))?.status).toBe('superseded');

    const audit = await readAudit(redis, bot.prefix, { subject: incidentId });
    expect(audit.find((e) => e.type === 'plan.closed')).toMatchObject({
      plan_id: firstId, runbook_id: 'message-timeout', data: { reason: 'the diagnosis changed: no runbook matches the new finding' },
    });
    const types = audit.map((e) => e.type);
    expect(types).not.toContain('approval.approved');
    expect(types).not.toContain('action.executed');
  }, 120_000);
});
