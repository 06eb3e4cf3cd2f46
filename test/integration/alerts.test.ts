/**
 * Alerts end to end: real HTTP into the intake, real BullMQ on the test Redis, two real workers racing
 * for the same incidents, the outbox posting to the Slack sandbox. Each test routes its alerts (label
 * `team`) to a channel of its own.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_CHANNEL, allText, amNotification, startAlertHarness, type AlertHarness } from '../incidents/harness.js';
import { waitFor } from '../support/poll.js';
import { INCIDENT_ACTION_IDS } from '../../src/slack/blocks/incident.js';

let h: AlertHarness;
let alertQueue: Queue;

const TEAMS = ['one', 'dup', 'res', 'mixed', 'storm', 'hostile', 'buttons', 'restamp', 'annot', 'bare'];

beforeAll(async () => {
  h = await startAlertHarness({
    env: {
      ALERT_ROUTES: TEAMS.map((t) => `team=${t} -> C0${t.toUpperCase()}`).join('; '),
      ALERT_AGENT_DEPENDENCIES: 'ChatAgent>PlannerAgent>RetrieverAgent>ToolAgent',
    },
  });
  alertQueue = new Queue('alert', { connection: h.redis, prefix: h.bot.config.queues.prefix });
});

afterAll(async () => {
  await alertQueue.close();
  await h.stop();
});

const T0 = new Date(Date.now() - 60_000).toISOString();
const channelOf = (team: string) => `C0${team.toUpperCase()}`;

function alert(team: string, over: Partial<{ status: 'firing' | 'resolved'; agent: string; name: string; instance: string; fp: string; startsAt: string; annotations: Record<string, string> }> = {}) {
  const agent = over.agent ?? 'ChatAgent';
  return {
    status: over.status ?? 'firing' as const,
    labels: { alertname: over.name ?? 'AutoGenAgentHighErrorRate', runtime: 'prod', agent_type: agent, severity: 'critical', team, instance: over.instance ?? 'i1' },
    annotations: over.annotations ?? { summary: `${agent} error rate above 5 %`, description: `${agent} fails 12 % of its messages.` },
    startsAt: over.startsAt ?? T0,
    fingerprint: over.fp ?? `${team}-${agent}-${over.instance ?? 'i1'}-${over.name ?? 'err'}`,
  };
}

async function alertJobsDone(): Promise<number> {
  const jobs = await alertQueue.getJobs(['completed']);
  return jobs.filter((j) => (j.data as { kind: string }).kind === 'alerts').length;
}

async function settled(team: string, firing: number, total: number) {
  return waitFor(async () => {
    const list = (await h.store.listActive(500)).concat();
    const all = await Promise.all(h.roots(channelOf(team)).map(async () => list.filter((i) => i.channel === channelOf(team))));
    const inc = all.flat()[0];
    return inc && inc.alertsFiring === firing && inc.alertsTotal === total ? inc : undefined;
  }, { what: `incident of team ${team} with ${firing}/${total} alerts`, timeoutMs: 20_000 });
}

describe('alert threads', () => {
  it('one alert opens one thread: a root in the routed channel and the alert details in the thread', async () => {
    const res = await h.postAlertmanager(amNotification([alert('one')]));
    expect(res.status).toBe(202);
    const root = await waitFor(() => h.roots(channelOf('one'))[0], { what: 'root message' });
    expect(allText(root)).toContain('ChatAgent error rate above 5 %');
    const details = await waitFor(() => h.replies(root).find((m) => allText(m).includes('fails 12 % of its messages')), { what: 'details in the thread' });
    expect(allText(details)).toContain('agent_type=ChatAgent');
    // no configured runtime "prod": the thread says why there is no automatic diagnosis
    await waitFor(() => h.replies(root).find((m) => m.text.includes('No automatic diagnosis')), { what: 'diagnosis note' });
    expect(h.roots(channelOf('one'))).toHaveLength(1);
    expect(h.roots(ALERT_CHANNEL)).toHaveLength(0);
  });

  it('the same notification resent byte for byte is processed once', async () => {
    const body = JSON.stringify(amNotification([alert('dup')]));
    const before = await alertJobsDone();
    expect((await h.postAlertmanager(body)).status).toBe(202);
    const root = await waitFor(() => h.roots(channelOf('dup'))[0], { what: 'root' });
    await waitFor(async () => (await alertJobsDone()) === before + 1, { what: 'first alert job done' });
    for (let i = 0; i < 3; i += 1) expect((await h.postAlertmanager(body)).status).toBe(202);
    // the resends added no job (same content id), so nothing more is processed or posted
    const counts = await alertQueue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
    const incident = (await h.store.listActive(500)).find((i) => i.channel === channelOf('dup'))!;
    expect(await alertJobsDone()).toBe(before + 1);
    expect(incident).toMatchObject({ alertsTotal: 1, alertsFiring: 1 });
    expect((await h.store.timeline(incident.id)).filter((e) => e.k === 'firing')).toHaveLength(1);
    expect((counts.waiting ?? 0) + (counts.prioritized ?? 0)).toBeLessThanOrEqual(1);
    expect(h.roots(channelOf('dup'))).toEqual([root]);
  });

  it('resolved edits the root in place to resolved with the duration, never a new root', async () => {
    await h.postAlertmanager(amNotification([alert('res')]));
    const root = await waitFor(() => h.roots(channelOf('res'))[0], { what: 'root' });
    expect((await h.postAlertmanager(amNotification([{ ...alert('res', { status: 'resolved' }) }]))).status).toBe(202);
    await waitFor(() => root.edits.some((e) => JSON.stringify(e.blocks).includes('Resolved: ChatAgent')), { what: 'root edited to resolved' });
    const last = root.edits[root.edits.length - 1]!;
    expect(JSON.stringify(last.blocks)).toMatch(/Resolved\* after \*\d+m/);
    expect(JSON.stringify(last.blocks)).not.toContain('"type":"actions"');
    expect(h.roots(channelOf('res'))).toHaveLength(1);
    await waitFor(() => h.replies(root).find((m) => allText(m).includes('Resolved* after')), { what: 'resolution in the thread' });
  });

  it('a group still firing with some alerts resolved updates the incident (counts, thread)', async () => {
    const three = ['a', 'b', 'c'].map((i) => alert('mixed', { instance: i }));
    await h.postAlertmanager(amNotification(three));
    const root = await waitFor(() => h.roots(channelOf('mixed'))[0], { what: 'root' });
    await settled('mixed', 3, 3);
    const next = amNotification([three[0]!, { ...three[1]!, status: 'resolved' }, three[2]!]);
    expect(next.status).toBe('firing');
    await h.postAlertmanager(next);
    const inc = await settled('mixed', 2, 3);
    expect(inc.state).toBe('open');
    await waitFor(() => root.edits.some((e) => JSON.stringify(e.blocks).includes('2 firing · 3 in all')), { what: 'root shows 2 of 3 firing' });
    await waitFor(() => h.replies(root).find((m) => allText(m).includes('✅ 1 resolved')), { what: 'resolution line in the thread' });
    expect(h.roots(channelOf('mixed'))).toHaveLength(1);
  });

  it('200 alerts of one agent cascade, raced by two workers, make one incident and one thread', async () => {
    const agents = ['ToolAgent', 'RetrieverAgent', 'PlannerAgent', 'ChatAgent'];
    const alerts = Array.from({ length: 200 }, (_, i) => alert('storm', { agent: agents[i % 4]!, instance: `n${i}` }));
    const posts = [];
    for (let i = 0; i < alerts.length; i += 20) posts.push(h.postAlertmanager(amNotification(alerts.slice(i, i + 20), { groupKey: `storm-${i}` })));
    expect((await Promise.all(posts)).every((r) => r.status === 202)).toBe(true);
    const inc = await settled('storm', 200, 200);
    expect(inc.agents).toEqual(['ChatAgent', 'PlannerAgent', 'RetrieverAgent', 'ToolAgent']);
    expect(h.roots(channelOf('storm'))).toHaveLength(1);
    expect(h.workers).toHaveLength(2);
    const root = h.roots(channelOf('storm'))[0]!;
    await waitFor(() => root.edits.some((e) => JSON.stringify(e.blocks).includes('200 firing · 200 in all')), { what: 'root shows 200 firing' });
    // coalesced: far fewer thread replies than alerts
    expect(h.replies(root).length).toBeLessThan(20);
  });

  it('alert text with <!channel>, @here, markdown and 10 KB of Chinese posts safely', async () => {
    const hostile = '<!channel> <!here> @here @channel <@U0BOSS> <https://evil.example|reset your password> *bold* `code` ```block```';
    const chinese = '智能体运行时出现级联故障，请检查依赖服务与消息队列。'.repeat(400);
    expect(Buffer.byteLength(chinese)).toBeGreaterThan(10_000);
    const body = { alerts: [{ title: hostile, description: `${hostile}\n${chinese}`, severity: 'critical', runtime: 'prod', agent: 'ChatAgent', labels: { team: 'hostile', note: hostile } }] };
    expect((await h.postGeneric(body)).status).toBe(202);
    const root = await waitFor(() => h.roots(channelOf('hostile'))[0], { what: 'root' });
    const detail = await waitFor(() => h.replies(root).find((m) => allText(m).includes('智能体运行时出现级联故障')), { what: 'details with the Chinese text' });
    for (const m of [root, detail]) {
      const text = allText(m);
      expect(text).not.toMatch(/<!(channel|here|everyone)/);
      expect(text).not.toMatch(/<@U0BOSS>/);
      expect(text).not.toMatch(/<https?:\/\/evil/);
      expect(text).not.toMatch(/@(here|channel)\b/);
      expect(text).not.toMatch(/[\ud800-\udbff](?![\udc00-\udfff])/);
      expect(m.blocks.length).toBeLessThanOrEqual(50);
    }
  });

  it('root buttons: Acknowledge and Resolve change the incident and its root; /autogen incidents lists it with a link', async () => {
    await h.postAlertmanager(amNotification([alert('buttons')]));
    const root = await waitFor(() => h.roots(channelOf('buttons'))[0], { what: 'root' });
    const inc = (await h.store.listActive(500)).find((i) => i.channel === channelOf('buttons'))!;
    const asFirstPosted = { ...root, blocks: structuredClone(root.blocks) };

    const list = await h.sandbox.sendCommand(h.bot.eventsUrl, { text: 'incidents', channel: channelOf('buttons'), user: 'U0CAROL' });
    expect(list.status).toBe(200);
    const listed = await waitFor(() => h.sandbox.ephemerals.find((e) => e.user === 'U0CAROL' && JSON.stringify(e.blocks).includes(inc.id)), { what: 'incident list' });
    expect(JSON.stringify(listed.blocks)).toContain(`/archives/${channelOf('buttons')}/p${root.ts.replace('.', '')}`);

    expect((await h.sandbox.clickButton(h.bot.eventsUrl, root, INCIDENT_ACTION_IDS.acknowledge, 'U0ALICE')).status).toBe(200);
    await waitFor(() => root.edits.some((e) => JSON.stringify(e.blocks).includes('acknowledged by <@U0ALICE>')), { what: 'root shows acknowledged' });
    expect((await h.store.get(inc.id))?.state).toBe('acknowledged');

    expect((await h.sandbox.clickButton(h.bot.eventsUrl, root, INCIDENT_ACTION_IDS.resolve, 'U0BOB')).status).toBe(200);
    await waitFor(() => root.edits.some((e) => JSON.stringify(e.blocks).includes('Resolved: ChatAgent')), { what: 'root shows resolved' });
    expect((await h.store.get(inc.id))).toMatchObject({ state: 'resolved', resolvedBy: 'U0BOB' });

    // a stale click (the message as first posted) acknowledging the resolved incident is refused, with the
    // reason, to the clicker only
    await h.sandbox.clickButton(h.bot.eventsUrl, asFirstPosted, INCIDENT_ACTION_IDS.acknowledge, 'U0DAVE');
    const refusal = await waitFor(() => h.sandbox.ephemerals.find((e) => e.user === 'U0DAVE'), { what: 'refusal' });
    expect(refusal.text).toContain('INCIDENT_TRANSITION_INVALID');
    expect(h.roots(channelOf('buttons'))).toHaveLength(1);
  });

  it('a storm fired in six batches and resolved in one notification with restamped startsAt ends with every incident resolved', async () => {
    const start = Date.now() - 30 * 60_000;
    const agents = ['BillingAgent', 'SearchAgent', 'MailAgent'];
    const storm = Array.from({ length: 300 }, (_, i) => alert('restamp', { agent: agents[i % 3]!, instance: `n${i}`, startsAt: new Date(start + Math.floor(i / 50) * 60_000).toISOString() }));
    const groupKey = '{}/{team="restamp"}:{alertname="AutoGenAgentHighErrorRate"}';
    const incidents = async () => (await h.store.listActive(500)).filter((i) => i.channel === channelOf('restamp'));
    // as Alertmanager does, each notification is the group's whole current state
    for (let batch = 1; batch <= 6; batch += 1) {
      expect((await h.postAlertmanager(amNotification(storm.slice(0, batch * 50), { groupKey }))).status).toBe(202);
    }
    const open = await waitFor(async () => {
      const list = await incidents();
      return list.length === 3 && list.every((i) => i.alertsFiring === 100) ? list : undefined;
    }, { what: 'three incidents of 100 firing alerts', timeoutMs: 20_000 });
    // the sender resolved every alert under the first batch's start
    const resolution = amNotification(storm.map((a) => ({ ...a, status: 'resolved' as const, startsAt: new Date(start).toISOString() })), { groupKey });
    expect((await h.postAlertmanager(resolution)).status).toBe(202);
    await waitFor(async () => (await incidents()).length === 0, { what: 'no incident of the storm left open', timeoutMs: 20_000 });
    for (const inc of open) expect(await h.store.get(inc.id)).toMatchObject({ state: 'resolved', alertsFiring: 0, alertsTotal: 100 });
    const roots = h.roots(channelOf('restamp'));
    expect(roots).toHaveLength(3);
    await waitFor(() => roots.every((r) => r.edits.some((e) => JSON.stringify(e.blocks).includes('✅ Resolved'))), { what: 'every root edited to resolved' });
  });

  it('a change of annotations only reaches the thread and the root, in the same incident', async () => {
    const first = alert('annot');
    await h.postAlertmanager(amNotification([first]));
    const root = await waitFor(() => h.roots(channelOf('annot'))[0], { what: 'root' });
    await waitFor(() => h.replies(root).find((m) => allText(m).includes('fails 12 % of its messages')), { what: 'first details' });
    const changed = { ...first, annotations: { summary: 'ChatAgent error rate now 37 %', description: 'ChatAgent fails 37 % of its messages.' } };
    expect((await h.postAlertmanager(amNotification([changed]))).status).toBe(202);
    const update = await waitFor(() => h.replies(root).find((m) => allText(m).includes('now 37 %')), { what: 'the update in the thread' });
    expect(allText(update)).toContain('fails 37 % of its messages');
    await waitFor(() => root.edits.some((e) => JSON.stringify(e.blocks).includes('ChatAgent error rate now 37 %')), { what: 'root title follows' });
    expect(h.roots(channelOf('annot'))).toHaveLength(1);
    expect((await h.store.listActive(500)).filter((i) => i.channel === channelOf('annot'))).toMatchObject([{ alertsTotal: 1, alertsFiring: 1 }]);
  });

  it('an alert without a runtime label is not diagnosed against any runtime; the thread says which label to add', async () => {
    const bare = { status: 'firing' as const, labels: { alertname: 'QueueBacklog', agent_type: 'ChatAgent', severity: 'warning', team: 'bare' }, annotations: { summary: 'backlog' }, startsAt: T0, fingerprint: 'bare-1' };
    await h.postAlertmanager(amNotification([bare]));
    const root = await waitFor(() => h.roots(channelOf('bare'))[0], { what: 'root' });
    const note = await waitFor(() => h.replies(root).find((m) => m.text.includes('could not be tied to a runtime')), { what: 'the note' });
    expect(note.text).toContain('Add the label `runtime` to the alert rule');
  });
});
