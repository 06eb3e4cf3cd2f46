/**
 * Applying alerts with real Redis and real queues (no worker): what is enqueued for Slack, and that a
 * retried job whose first attempt stored the alert but died before its follow-ups still opens the thread.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { Outbox } from '../../src/outbox/index.js';
import { outboxKeys } from '../../src/outbox/keys.js';
import { Queues } from '../../src/queues/queues.js';
import type { NormalizedAlert } from '../../src/incidents/alert.js';
import { applyAlertEvents } from '../../src/incidents/apply.js';
import { incidentContext } from '../../src/incidents/context.js';
import { slackPresenters } from '../../src/slack/presenters/index.js';
import { scopeOf } from '../../src/incidents/grouping.js';
import { flushIncident, rootKey } from '../../src/incidents/thread.js';
import { markIncidentMitigating } from '../../src/incidents/actions.js';

let redis: Redis;
beforeAll(async () => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
});
afterAll(() => redis.disconnect());

function setup() {
  const prefix = `{t${randomUUID().slice(0, 8)}}`;
  const config = loadConfig({ ALERT_CHANNEL: 'C0ALERTS', ALERT_AUTO_PLAN: 'false', LOG_LEVEL: 'silent' });
  const queues = new Queues(redis, prefix, { attempts: 3, backoffMs: 10 });
  const ctx = incidentContext({ config, logger: createLogger(config), redis, keyPrefix: `${prefix}:`, queues, outbox: new Outbox(queues, redis, `${prefix}:`), presenters: slackPresenters, now: () => new Date() });
  return { ctx, queues, config, keyPrefix: `${prefix}:` };
}

const alert = (fp: string): NormalizedAlert => ({
  source: 'am', kind: 'alertmanager', fingerprint: fp, status: 'firing', startsAt: new Date(Date.now() - 1000).toISOString(), endsAt: null,
  generatorURL: null, groupKey: null, labels: { alertname: 'E', runtime: 'prod', agent_type: 'ChatAgent', severity: 'critical' }, annotations: { summary: 'errors' },
});

describe('applyAlertEvents', () => {
  it('a new incident: one high-priority root post, one diagnosis starter, one coalesced flush for many alerts', async () => {
    const { ctx, queues } = setup();
    try {
      const r = await applyAlertEvents(ctx, Array.from({ length: 30 }, (_, i) => alert(`f${i}`)));
      expect(r).toMatchObject({ applied: 30, changed: 30 });
      expect(r.opened).toHaveLength(1);
      const id = r.opened[0]!;
      const notify = await queues.get('notify').getJobs(['prioritized', 'waiting']);
      expect(notify.map((j) => j.id)).toEqual([rootKey(id)]);
      expect(notify[0]!.opts.priority).toBe(1);
      expect(notify[0]!.data).toMatchObject({ kind: 'post', channel: 'C0ALERTS', ts_key: rootKey(id) });
      const alertJobs = await queues.get('alert').getJobs(['waiting', 'delayed', 'prioritized']);
      expect(alertJobs.map((j) => (j.data as { kind: string }).kind).sort()).toEqual(['flush', 'opened']);
    } finally {
      await queues.close();
    }
  });

  it('a retried job redoes the follow-ups its first attempt may have missed', async () => {
    const { ctx, queues, config } = setup();
    try {
      const a = alert('f1');
      // the first attempt stored the alert, then died before posting the root
      const stored = await ctx.store.applyAlert({ alert: a, scope: scopeOf(a.labels, config.alerts.grouping), severity: 'critical', channel: 'C0ALERTS' }, Date.now());
      expect(stored.created).toBe(true);
      // processed again as a first attempt, nothing would follow (the store sees a resend)
      expect(await applyAlertEvents(ctx, [a], false)).toMatchObject({ changed: 0, opened: [] });
      expect(await queues.get('notify').getJobs(['prioritized', 'waiting'])).toHaveLength(0);
      // as a retry, the root post, the diagnosis starter and a flush are (idempotently) queued
      await applyAlertEvents(ctx, [a], true);
      await applyAlertEvents(ctx, [a], true);
      expect((await queues.get('notify').getJobs(['prioritized', 'waiting'])).map((j) => j.id)).toEqual([rootKey(stored.incidentId)]);
      const kinds = (await queues.get('alert').getJobs(['waiting', 'delayed', 'prioritized'])).map((j) => (j.data as { kind: string }).kind).sort();
      expect(kinds).toEqual(['flush', 'opened']);
    } finally {
      await queues.close();
    }
  });

  it('a running response plan marks the incident mitigating, shown in the thread at once', async () => {
    const { ctx, queues } = setup();
    try {
      const { opened: [id] } = await applyAlertEvents(ctx, [alert('m1')]);
      expect(await markIncidentMitigating(ctx, id!, 'U0APPROVER', 'plan pl-1 isolating ToolAgent')).toBe('mitigating');
      expect(await ctx.store.get(id!)).toMatchObject({ state: 'mitigating', mitigatedBy: 'U0APPROVER' });
      expect((await ctx.store.timeline(id!)).at(-1)).toMatchObject({ k: 'state', to: 'mitigating', note: 'plan pl-1 isolating ToolAgent' });
      const flush = (await queues.get('alert').getJobs(['waiting', 'delayed', 'prioritized'])).find((j) => (j.data as { kind: string }).kind === 'flush');
      expect(flush?.delay ?? 0).toBe(0);
      expect(await markIncidentMitigating(ctx, 'inc-unknown1', 'U0X')).toBeNull();
    } finally {
      await queues.close();
    }
  });

  it('an annotation change of a firing alert is one coalesced thread update and a root edit, not silence and not a new incident', async () => {
    const { ctx, queues, keyPrefix } = setup();
    try {
      const received = new Date(Date.now() - 60_000);
      const { opened: [id] } = await applyAlertEvents(ctx, [alert('u1'), alert('u2')], false, received);
      await flushIncident(ctx, id!, { id: 'flush-first' });
      const later = new Date(received.getTime() + 30_000);
      const now37 = (fp: string): NormalizedAlert => ({ ...alert(fp), annotations: { summary: 'ChatAgent error rate now 37 %', description: 'fails 37 % of its messages' } });
      const r = await applyAlertEvents(ctx, [now37('u1'), now37('u2')], false, later);
      expect(r).toMatchObject({ applied: 2, changed: 2, opened: [] });
      // the same notification again changes nothing
      expect(await applyAlertEvents(ctx, [now37('u1'), now37('u2')], false, new Date(later.getTime() + 1))).toMatchObject({ changed: 0 });
      const flushes = (await queues.get('alert').getJobs(['waiting', 'delayed', 'prioritized'])).filter((j) => (j.data as { kind: string }).kind === 'flush');
      expect(flushes).toHaveLength(1);
      expect(await flushIncident(ctx, id!, { id: 'flush-second' })).toEqual({ posted: true, edited: true });
      const notify = await queues.get('notify').getJobs(['prioritized', 'waiting']);
      const reply = notify.find((j) => j.id === `inc-upd-${id!}-4`);
      const replyText = JSON.stringify(reply?.data);
      expect(replyText).toContain('updated: E · ChatAgent — ChatAgent error rate now 37 %');
      expect(replyText).toContain('fails 37 % of its messages');
      expect(replyText).toContain('now 2 firing of 2');
      // root edits coalesce: one edit job waits per root, and it sends the newest content kept for the root
      const rootEdits = notify.filter((j) => (j.data as { kind: string }).kind === 'update');
      expect(rootEdits).toHaveLength(1);
      expect(await redis.get(outboxKeys(keyPrefix).latest(rootKey(id!)))).toContain('ChatAgent error rate now 37 %');
      expect(await ctx.store.countActive()).toBe(1);
    } finally {
      await queues.close();
    }
  });
});
