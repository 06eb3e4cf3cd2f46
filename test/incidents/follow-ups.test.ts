/**
 * What follows an incident's opening when its alerts name no runtime: no diagnosis and no response plan
 * against the default runtime; the thread says why, escaped, and which label to add. Real Redis and queues.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { Outbox } from '../../src/outbox/index.js';
import { Queues } from '../../src/queues/queues.js';
import type { NormalizedAlert } from '../../src/incidents/alert.js';
import { applyAlertEvents } from '../../src/incidents/apply.js';
import { incidentContext } from '../../src/incidents/context.js';
import { slackPresenters } from '../../src/slack/presenters/index.js';
import { diagnoseAgain, onIncidentDiagnosed, startAutomaticDiagnosis } from '../../src/incidents/follow-ups.js';

let redis: Redis;
beforeAll(() => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
});
afterAll(() => redis.disconnect());

function setup(env: Record<string, string> = {}) {
  const prefix = `{f${randomUUID().slice(0, 8)}}`;
  const config = loadConfig({
    ALERT_CHANNEL: 'C0ALERTS', ALERT_AUTO_PLAN: 'true', LOG_LEVEL: 'silent',
    AUTOGEN_RUNTIMES: 'prod=http://127.0.0.1:9', AUTOGEN_RUNTIME_PROD_TOKEN: 'prod-bridge-token-0123456789', ...env,
  });
  const queues = new Queues(redis, prefix, { attempts: 3, backoffMs: 10 });
  const ctx = incidentContext({ config, logger: createLogger(config), redis, keyPrefix: `${prefix}:`, queues, outbox: new Outbox(queues, redis, `${prefix}:`), presenters: slackPresenters, now: () => new Date() });
  return { ctx, queues, config };
}

const alert = (labels: Record<string, string>): NormalizedAlert => ({
  source: 'am', kind: 'alertmanager', fingerprint: randomUUID().slice(0, 16), status: 'firing', startsAt: new Date(Date.now() - 1000).toISOString(), endsAt: null,
  generatorURL: null, groupKey: null, labels: { alertname: 'AutoGenAgentHighErrorRate', severity: 'critical', ...labels }, annotations: { summary: 'errors' },
});

async function jobsOf(queues: Queues, name: 'respond' | 'diagnose' | 'notify') {
  return queues.get(name).getJobs(['waiting', 'delayed', 'prioritized']);
}

describe('incidents whose alerts name no runtime', () => {
  it('get no diagnosis and no plan against the default runtime; the thread names the label to add', async () => {
    const { ctx, queues, config } = setup();
    try {
      expect(config.runtimes.defaultName).toBe('prod');
      const { opened: [id] } = await applyAlertEvents(ctx, [alert({ agent_type: 'ChatAgent' })]);
      expect(await ctx.store.get(id!)).toMatchObject({ runtime: null, agent: 'ChatAgent' });
      expect(await jobsOf(queues, 'respond')).toHaveLength(0);
      const opened = await queues.get('alert').getJob(`opened-${id!}`);
      expect(opened).toBeDefined();
      const outcome = await startAutomaticDiagnosis(ctx, id!, 0, opened!, undefined);
      expect(outcome).toContain('could not be tied to a runtime');
      expect(await jobsOf(queues, 'diagnose')).toHaveLength(0);
      const note = (await jobsOf(queues, 'notify')).find((j) => j.id === `inc-nodiag-${id!}`);
      expect(note?.data).toMatchObject({ kind: 'post', thread_ts_key: `inc-root-${id!}` });
      expect((note?.data as { text: string }).text).toBe(
        'No automatic diagnosis or response plan: the incident could not be tied to a runtime: its alerts have no `runtime` or `autogen_runtime` label. '
        + 'Add the label `runtime` to the alert rule, naming one of the configured runtimes (`prod`).',
      );
      await expect(diagnoseAgain(ctx, (await ctx.store.get(id!))!, 'U0ONCALL', new Date())).rejects.toMatchObject({ code: 'INCIDENT_NOT_DIAGNOSABLE' });
      expect(await jobsOf(queues, 'diagnose')).toHaveLength(0);
    } finally {
      await queues.close();
    }
  });

  it('an alert that names its configured runtime still gets its plan request (for contrast)', async () => {
    const { ctx, queues } = setup({ ALERT_AUTO_DIAGNOSE: 'false' });
    try {
      const { opened: [id] } = await applyAlertEvents(ctx, [alert({ runtime: 'prod', agent_type: 'ChatAgent' })]);
      const plans = await jobsOf(queues, 'respond');
      expect(plans.map((j) => j.id)).toEqual([`plan-${id!}`]);
      expect(plans[0]!.data).toMatchObject({ runtime: 'prod', agent: 'ChatAgent', labels: { alertname: 'AutoGenAgentHighErrorRate' }, findings: [] });
    } finally {
      await queues.close();
    }
  });

  it('diagnosed automatically, the plan waits for the diagnosis and is asked for from its findings, once per diagnosis', async () => {
    const { ctx, queues } = setup();
    try {
      const { opened: [id] } = await applyAlertEvents(ctx, [alert({ runtime: 'prod', agent_type: 'ChatAgent', alertname: 'AutoGenAgentErrors' })]);
      expect(await jobsOf(queues, 'respond')).toHaveLength(0);
      expect(await onIncidentDiagnosed(ctx, id!, ['agent.errors', 'cascade', 'diagnose.cascade'], 'diag-1')).toBe('plan requested');
      // the same diagnosis job retried asks once; "Diagnose again" asks again
      await onIncidentDiagnosed(ctx, id!, ['agent.errors', 'cascade', 'diagnose.cascade'], 'diag-1');
      await onIncidentDiagnosed(ctx, id!, ['timeout'], 'diag-2');
      const plans = (await jobsOf(queues, 'respond')).sort((a, b) => String(a.id).localeCompare(String(b.id)));
      expect(plans.map((j) => j.id)).toEqual([`plan-${id!}-diag-1`, `plan-${id!}-diag-2`]);
      expect(plans[0]!.data).toMatchObject({ runtime: 'prod', agent: 'ChatAgent', incident_id: id, source: 'incident', findings: ['agent.errors', 'cascade', 'diagnose.cascade'] });
      // no labels: the planner tries the labels of each of the incident's firing alerts
      expect(plans[0]!.data).not.toHaveProperty('labels');
      await ctx.store.transition(id!, 'resolve', 'U0ONCALL', Date.now());
      expect(await onIncidentDiagnosed(ctx, id!, ['cascade'], 'diag-3')).toBe('incident resolved');
    } finally {
      await queues.close();
    }
  });

  it('the label names the configured label and a hostile runtime value stays inert', async () => {
    const { ctx, queues } = setup({ ALERT_RUNTIME_LABELS: 'cluster_runtime' });
    try {
      const { opened: [id] } = await applyAlertEvents(ctx, [alert({ cluster_runtime: '<!channel> @here `x`', agent_type: 'ChatAgent' })]);
      await startAutomaticDiagnosis(ctx, id!, 0, (await queues.get('alert').getJob(`opened-${id!}`))!, undefined);
      const text = ((await jobsOf(queues, 'notify')).find((j) => j.id === `inc-nodiag-${id!}`)?.data as { text: string }).text;
      expect(text).toContain('is not configured');
      expect(text).not.toMatch(/<!channel>|@here|<@/);
      expect(text).toContain('&lt;!channel&gt;');
      expect(await jobsOf(queues, 'respond')).toHaveLength(0);

      const { opened: [bare] } = await applyAlertEvents(ctx, [alert({ agent_type: 'PlannerAgent' })]);
      await startAutomaticDiagnosis(ctx, bare!, 0, (await queues.get('alert').getJob(`opened-${bare!}`))!, undefined);
      const hint = ((await jobsOf(queues, 'notify')).find((j) => j.id === `inc-nodiag-${bare!}`)?.data as { text: string }).text;
      expect(hint).toContain('no `cluster_runtime` label. Add the label `cluster_runtime`');
    } finally {
      await queues.close();
    }
  });

  it('with the automatic diagnosis off, the plan that is not requested is explained', async () => {
    const { ctx, queues } = setup({ ALERT_AUTO_DIAGNOSE: 'false' });
    try {
      const { opened: [id] } = await applyAlertEvents(ctx, [alert({ agent_type: 'ChatAgent' })]);
      expect(await queues.get('alert').getJob(`opened-${id!}`)).toBeUndefined();
      expect(await jobsOf(queues, 'respond')).toHaveLength(0);
      const note = (await jobsOf(queues, 'notify')).find((j) => j.id === `inc-nodiag-${id!}`);
      expect((note?.data as { text: string }).text).toMatch(/^No automatic response plan: the incident could not be tied to a runtime/);
    } finally {
      await queues.close();
    }
  });
});
