/**
 * A new incident jumps a storm's backlog: with one worker taking one job at a time, the first alert of an
 * incident that starts while thousands of another's wait is applied next, not after them. Real intake,
 * real BullMQ on the test Redis, the sandbox for Slack.
 */
import { Queue, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERTS_AHEAD_PRIORITY, ALERTS_JOB_PRIORITY } from '../../src/incidents/jobs.js';
import { amNotification, startAlertHarness, type AlertHarness } from '../incidents/harness.js';
import { waitFor } from '../support/poll.js';

let h: AlertHarness;
let alertQueue: Queue;

beforeAll(async () => {
  h = await startAlertHarness({ workers: 1, env: { WORKER_CONCURRENCY: '1', ALERT_ROUTES: 'team=storm -> C0STORM; team=late -> C0LATE' } });
  alertQueue = new Queue('alert', { connection: h.redis, prefix: h.bot.config.queues.prefix });
});

afterAll(async () => {
  await alertQueue.close();
  await h.stop();
});

const T0 = new Date(Date.now() - 60_000).toISOString();
const notification = (team: string, agent: string, instance: number) => amNotification([{
  status: 'firing', startsAt: T0, fingerprint: `${team}-${agent}-${instance}`,
  labels: { alertname: 'AutoGenAgentHighErrorRate', runtime: 'prod', agent_type: agent, severity: 'critical', team, instance: `i${instance}` },
}]);
const agentOf = (job: Job): string => (job.data as { alerts: { labels: Record<string, string> }[] }).alerts[0]!.labels.agent_type!;

describe('new incidents first', () => {
  it("a new incident's first alert is applied before the backlog of an incident already open, and its thread opens", async () => {
    await alertQueue.pause();
    const BACKLOG = 20;
    for (let i = 0; i < BACKLOG; i += 1) expect((await h.postAlertmanager(notification('storm', 'ToolAgent', i))).status).toBe(202);
    expect((await h.postAlertmanager(notification('late', 'ChatAgent', 0))).status).toBe(202);

    // as queued: the first of each incident ahead, the rest of the storm behind
    const queued = await alertQueue.getJobs(['prioritized']);
    const priorities = (agent: string) => queued.filter((j) => agentOf(j) === agent).map((j) => j.priority).sort((a, b) => a - b);
    expect(priorities('ChatAgent')).toEqual([ALERTS_AHEAD_PRIORITY]);
    expect(priorities('ToolAgent')).toEqual([ALERTS_AHEAD_PRIORITY, ...Array<number>(BACKLOG - 1).fill(ALERTS_JOB_PRIORITY)]);

    await alertQueue.resume();
    await waitFor(() => h.roots('C0LATE').length === 1 && h.roots('C0STORM').length === 1, { what: 'both incident roots' });
    const done = await waitFor(async () => {
      const jobs = (await alertQueue.getJobs(['completed'])).filter((j) => (j.data as { kind: string }).kind === 'alerts');
      return jobs.length === BACKLOG + 1 ? jobs : undefined;
    }, { what: 'every alert job done' });
    // one job at a time: the late incident's job was taken right after the storm's first, before the other 19
    const late = done.find((j) => agentOf(j) === 'ChatAgent')!;
    const takenBefore = done.filter((j) => agentOf(j) === 'ToolAgent' && j.processedOn! < late.processedOn!);
    expect(takenBefore.length).toBeLessThanOrEqual(1);
    expect(done.filter((j) => agentOf(j) === 'ToolAgent' && j.processedOn! >= late.finishedOn!).length).toBeGreaterThanOrEqual(BACKLOG - 1);
    const incidents = await h.store.listActive(10);
    expect(incidents.map((i) => [i.agent, i.alertsTotal]).sort()).toEqual([['ChatAgent', 1], ['ToolAgent', BACKLOG]]);
  });
});
