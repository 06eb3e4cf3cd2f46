/**
 * One plan per incident, none left awaiting approval for a problem that is gone (issue 14), with the real
 * demo fleet and the shipped runbooks: an incident opens through the alert pipeline and gets its plan; a
 * newer plan for the same incident (another runbook: what the incident is about changed) supersedes it; the
 * incident resolves while the newer plan awaits approval, and that plan is closed — "incident resolved,
 * nothing ran" — its Approve button refused afterwards, both steps in the audit log.
 */
import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/approvals/consume.js';
import { readAudit } from '../../src/audit/stream.js';
import type { NormalizedAlert } from '../../src/incidents/alert.js';
import { waitFor } from '../support/poll.js';
import { ALICE, blocksText, latestBlocks, planIdOf, queueAlerts, requestIncidentPlan, responseTestHooks } from '../support/response-bot.js';

const CHANNEL = 'C0PLANCLOSE';
const rt = responseTestHooks({
  fleet: { rate: 10 }, runbooks: { ttlS: 60, settleS: 1 },
  env: { ALERT_CHANNEL: CHANNEL, ALERT_AUTO_DIAGNOSE: 'false', ALERT_COALESCE_MS: '200' },
});

const startsAt = new Date(Date.now() - 60_000).toISOString();
const alert = (status: 'firing' | 'resolved'): NormalizedAlert => ({
  source: 'alertmanager', kind: 'alertmanager', fingerprint: 'slowchat00000001', status,
  labels: { alertname: 'AutoGenAgentSlowResponse', runtime: 'demo', agent_type: 'ChatAgent', severity: 'critical' },
  annotations: { summary: 'ChatAgent answers slowly' }, startsAt, endsAt: status === 'resolved' ? new Date().toISOString() : null,
  generatorURL: null, groupKey: '{}:{alertname="AutoGenAgentSlowResponse"}',
});

const plansIn = (threadTs: string) => rt.sandbox.messages.filter((m) => m.channel === CHANNEL && m.thread_ts === threadTs && blocksText(m).includes('Recovery plan:'));

describe('plans of an incident', () => {
  it('a newer plan supersedes the pending one; the incident resolving closes the newer one, nothing ran', async () => {
    const { sandbox, bot, redis } = rt;
    await queueAlerts(bot, [alert('firing')]);

    const first = await waitFor(() => sandbox.messages.find((m) => m.channel === CHANNEL && m.thread_ts !== undefined && blocksText(m).includes('Recovery plan:')),
      { what: 'the incident\'s plan', timeoutMs: 30_000 });
    const incidentId = /inc-[a-z0-9]+/.exec(blocksText(first))![0];
    const firstId = planIdOf(first);
    // (the runbook the incident matched depends on what the fleet shows; the newer plan takes another one)
    const other = blocksText(first).includes('Critical incident') ? 'message-timeout' : 'critical-degradation';

    // what the incident is about changed: a plan of another runbook is asked for the same incident
    await requestIncidentPlan(bot, {
      channel: CHANNEL, incidentId, agent: 'ChatAgent', source: 'replan', findings: [], labels: alert('firing').labels, runbook: other,
    });
    const second = await waitFor(() => plansIn(first.thread_ts!).find((m) => planIdOf(m) !== firstId), { what: 'the newer plan', timeoutMs: 30_000 });
    const secondId = planIdOf(second);
    const pendingBlocks = structuredClone(second.blocks); // with its Approve button, as people saw it
    await waitFor(() => latestBlocks(first).includes('Replaced by a newer plan'), { what: 'the first plan superseded' });
    expect((await loadPlan(redis, bot.prefix, firstId))?.status).toBe('superseded');
    expect((await loadPlan(redis, bot.prefix, secondId))?.status).toBe('pending');

    // the incident resolves while the newer plan awaits approval
    await queueAlerts(bot, [alert('resolved')]);
    await waitFor(() => latestBlocks(second).includes('incident resolved, nothing ran'), { what: 'the newer plan closed', timeoutMs: 20_000 });
    expect(latestBlocks(second)).not.toContain('plan:approve');
    expect((await loadPlan(redis, bot.prefix, secondId))?.status).toBe('superseded');

    // its old Approve button is refused: nothing is approved, nothing runs
    await sandbox.clickButton(bot.eventsUrl, { ...second, blocks: pendingBlocks }, 'plan:approve', ALICE);
    await waitFor(() => sandbox.ephemerals.some((e) => e.user === ALICE), { what: 'the click answered' });
    expect((await loadPlan(redis, bot.prefix, secondId))?.status).toBe('superseded');

    const audit = await readAudit(redis, bot.prefix, { subject: incidentId });
    const types = audit.map((e) => e.type);
    expect(types).toContain('plan.superseded');
    expect(types).toContain('plan.closed');
    expect(types).not.toContain('approval.approved');
    expect(types).not.toContain('action.executed');
    expect(audit.find((e) => e.type === 'plan.closed')).toMatchObject({ plan_id: secondId });
    expect(audit.find((e) => e.type === 'plan.superseded')).toMatchObject({ plan_id: firstId });
  }, 120_000);
});
