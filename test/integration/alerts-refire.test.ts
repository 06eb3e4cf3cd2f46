/**
 * A re-fire Alertmanager merged back into the same episode (issue 14): after a resolution, the alert fires
 * again and Alertmanager — which identifies an alert by its labels and keeps the episode's `startsAt` —
 * sends a body byte-identical to the first firing notification. The intake deduplicates a body only for the
 * short window of a delivery's retries (`ALERT_DEDUPE_WINDOW_S`, 5 s here), so the copy inside the window is
 * dropped and the same bytes after it reopen the incident in its thread.
 *
 *   step   notification                               incident
 *   1      firing F                                   open, 1 firing
 *   2      F again at once (a retry of the delivery)   no second job
 *   3      resolved R                                 resolved
 *   4      F byte for byte, after the window          open again, reopened once, the same root
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertmanagerPayloadSchema, alertsFromAlertmanager } from '../../src/intake/alertmanager.js';
import { alertsJobId } from '../../src/incidents/jobs.js';
import { allText, amNotification, startAlertHarness, type AlertHarness } from '../incidents/harness.js';
import { waitFor } from '../support/poll.js';

let h: AlertHarness;

beforeAll(async () => {
  h = await startAlertHarness({ workers: 1, env: { ALERT_DEDUPE_WINDOW_S: '5' } });
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

describe('a byte-identical firing after a resolution', () => {
  it('is dropped as a retry inside the dedupe window, and reopens the incident after it', async () => {
    const startsAt = new Date(Date.now() - 120_000).toISOString();
    const alert = (status: 'firing' | 'resolved') => ({
      status, fingerprint: 'refire0000000001', startsAt, endsAt: new Date(Date.now()).toISOString(),
      labels: { alertname: 'RefireSameEpisode', runtime: 'prod', agent_type: 'Dispatcher', severity: 'error' },
      annotations: { summary: 'Dispatcher failing' },
    });
    const group = { groupKey: '{}:{alertname="RefireSameEpisode"}' };
    const firing = JSON.stringify(amNotification([alert('firing')], group));
    const resolved = JSON.stringify(amNotification([alert('resolved')], group));
    const queue = h.workers[0]!.deps.queues.get('alert');
    const contentId = alertsJobId(alertsFromAlertmanager(alertmanagerPayloadSchema.parse(JSON.parse(firing)), 'alertmanager'));
    // 1–2: the first firing, and a retry of the same delivery inside the window
    expect((await h.postAlertmanager(firing)).status).toBe(202);
    const firstJob = await queue.getDeduplicationJobId(contentId);
    expect(firstJob).toBeTruthy();
    expect((await h.postAlertmanager(firing)).status).toBe(202);
    expect(await queue.getDeduplicationJobId(contentId)).toBe(firstJob);
    const opened = await waitFor(async () => (await h.store.listActive(500)).find((i) => i.title === 'Dispatcher failing'), { what: 'incident open' });
    const incident = () => h.store.get(opened.id);
    expect(opened).toMatchObject({ alertsFiring: 1, alertsTotal: 1, reopenedCount: 0 });
    const root = await waitFor(() => h.roots(opened.channel).find((m) => allText(m).includes(opened.id)), { what: 'the root' });

    // 3: resolved
    expect((await h.postAlertmanager(resolved)).status).toBe(202);
    await waitFor(async () => (await incident())?.state === 'resolved', { what: 'incident resolved' });
    await waitFor(() => JSON.stringify(root.edits.at(-1)?.blocks ?? []).includes('Resolved'), { what: 'root edited to resolved' });
    const resolvedEdits = root.edits.length;

    // 4: the first firing's bytes again, once the window of its delivery has passed
    await waitFor(async () => (await queue.getDeduplicationJobId(contentId)) === null, { what: 'the dedupe window passed', timeoutMs: 20_000 });
    expect((await h.postAlertmanager(firing)).status).toBe(202);
    await waitFor(async () => (await incident())?.state === 'open', { what: 'incident open again' });
    expect(await incident()).toMatchObject({ id: opened.id, alertsFiring: 1, alertsTotal: 1, reopenedCount: 1 });
    // the thread follows: the same root, edited from resolved back to open
    await waitFor(() => root.edits.length > resolvedEdits && !JSON.stringify(root.edits.at(-1)!.blocks).includes('Resolved'), { what: 'root edited back to open' });
    expect(h.roots(opened.channel).filter((m) => allText(m).includes(opened.id))).toHaveLength(1);
    expect((await h.store.timeline(opened.id)).filter((e) => e.k === 'reopened')).toHaveLength(1);
  }, 60_000);
});
