/**
 * A re-fire from a sender that repeats its body (issue 14): a generic JSON source without `startsAt`/`endsAt`
 * says "firing" again after its resolution with the same bytes as the first time. The intake deduplicates a
 * body only while nothing else came for its alerts (each alert's turn, src/incidents/turns.ts, is part of the
 * job's deduplication id): a retry of the delivery is dropped, the re-fire is not, even inside the window.
 * (Alertmanager alerts take no turns: a byte-identical Alertmanager body after a resolution is a late copy —
 * alerts-replay.test.ts, "resends".)
 *
 *   step   notification                                   incident
 *   1      firing F                                       open, 1 firing
 *   2      F again at once (a retry of the delivery)       no second job
 *   3      resolved R                                     resolved
 *   4      F byte for byte, inside the window              open again, reopened once, the same root, a thread line
 *   5      F again at once (a retry of that delivery)      no job
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertsFromGeneric, genericPayloadSchema } from '../../src/intake/generic.js';
import { alertJobId } from '../../src/incidents/fingerprint.js';
import { alertsJobId } from '../../src/incidents/jobs.js';
import { allText, startAlertHarness, type AlertHarness } from '../incidents/harness.js';
import { waitFor } from '../support/poll.js';

let h: AlertHarness;

beforeAll(async () => {
  h = await startAlertHarness({ workers: 1, env: { ALERT_DEDUPE_WINDOW_S: '3600' } });
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

describe('a byte-identical firing after a resolution (generic JSON source)', () => {
  it('reopens the incident inside the dedupe window, while a retry of a delivery is still dropped', async () => {
    const alert = (status: 'firing' | 'resolved') => ({
      id: 'refire0000000001', status, title: 'Dispatcher failing', severity: 'error', runtime: 'prod', agent: 'Dispatcher',
    });
    const firing = JSON.stringify({ alerts: [alert('firing')] });
    const resolved = JSON.stringify({ alerts: [alert('resolved')] });
    const post = (body: string) => h.postGeneric(JSON.parse(body));
    const queue = h.workers[0]!.deps.queues.get('alert');
    const firingAlerts = alertsFromGeneric(genericPayloadSchema.parse(JSON.parse(firing)), 'ci');
    // the deduplication id of F at its nth turn (F is turn 1, R turn 2, F again turn 3)
    const dedupeId = (turn: number) => alertsJobId(firingAlerts, new Map(firingAlerts.map((a) => [alertJobId(a), turn])));
    const contentId = dedupeId(1);
    // 1–2: the first firing, and a retry of the same delivery inside the window
    expect((await post(firing)).status).toBe(202);
    const firstJob = await queue.getDeduplicationJobId(contentId);
    expect(firstJob).toBeTruthy();
    expect((await post(firing)).status).toBe(202);
    expect(await queue.getDeduplicationJobId(contentId)).toBe(firstJob);
    const opened = await waitFor(async () => (await h.store.listActive(500)).find((i) => i.title === 'Dispatcher failing'), { what: 'incident open' });
    const incident = () => h.store.get(opened.id);
    expect(opened).toMatchObject({ alertsFiring: 1, alertsTotal: 1, reopenedCount: 0 });
    const root = await waitFor(() => h.roots(opened.channel).find((m) => allText(m).includes(opened.id)), { what: 'the root' });

    // 3: resolved
    expect((await post(resolved)).status).toBe(202);
    await waitFor(async () => (await incident())?.state === 'resolved', { what: 'incident resolved' });
    await waitFor(() => JSON.stringify(root.edits.at(-1)?.blocks ?? []).includes('Resolved'), { what: 'root edited to resolved' });
    const resolvedEdits = root.edits.length;

    // 4: the first firing's bytes again, well inside the window of its first delivery (an hour)
    expect(await queue.getDeduplicationJobId(contentId)).toBe(firstJob);
    expect((await post(firing)).status).toBe(202);
    await waitFor(async () => (await incident())?.state === 'open', { what: 'incident open again' });
    expect(await incident()).toMatchObject({ id: opened.id, alertsFiring: 1, alertsTotal: 1, reopenedCount: 1 });
    // the thread follows: the same root, edited from resolved back to open, and a line saying so
    await waitFor(() => root.edits.length > resolvedEdits && !JSON.stringify(root.edits.at(-1)!.blocks).includes('Resolved'), { what: 'root edited back to open' });
    expect(h.roots(opened.channel).filter((m) => allText(m).includes(opened.id))).toHaveLength(1);
    expect((await h.store.timeline(opened.id)).filter((e) => e.k === 'reopened')).toHaveLength(1);
    await waitFor(() => h.replies(root).some((m) => allText(m).includes('Reopened')), { what: 'a thread line: reopened' });

    // 5: a retry of that delivery is still an exact resend: no job
    const refireJob = await queue.getDeduplicationJobId(dedupeId(3));
    expect(refireJob).toBeTruthy();
    expect(refireJob).not.toBe(firstJob);
    const jobsBefore = await queue.getJobCountByTypes('waiting', 'prioritized', 'active', 'completed', 'failed', 'delayed');
    expect((await post(firing)).status).toBe(202);
    expect(await queue.getDeduplicationJobId(dedupeId(3))).toBe(refireJob);
    expect(await queue.getJobCountByTypes('waiting', 'prioritized', 'active', 'completed', 'failed', 'delayed')).toBe(jobsBefore);
    expect(await incident()).toMatchObject({ state: 'open', reopenedCount: 1 });
  }, 60_000);
});
