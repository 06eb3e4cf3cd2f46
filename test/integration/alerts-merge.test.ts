/**
 * "Same incident as…" end to end through signed Slack interactions: two incidents the grouping could not
 * connect (no topology known) are merged from the thread — the root's button offers the other open
 * incidents of the channel in a select menu, the choice merges: the alerts move, the merged thread says
 * where to go and its root is closed as merged, the other root counts them, later alerts of the merged
 * scope join the survivor, and both the merge and a refused merge are in the audit log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudit } from '../../src/audit/stream.js';
import { keyPrefix } from '../../src/queues/connection.js';
import { INCIDENT_ACTION_IDS } from '../../src/slack/blocks/incident.js';
import { ALERT_CHANNEL, allText, amNotification, startAlertHarness, type AlertHarness } from '../incidents/harness.js';
import { waitFor } from '../support/poll.js';

let h: AlertHarness;
const USER = 'U0ONCALL';

beforeAll(async () => {
  h = await startAlertHarness({ workers: 1 });
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

const fire = (agent: string, fp: string) => h.postAlertmanager(amNotification([{
  status: 'firing', labels: { alertname: 'AgentDown', runtime: 'prod', agent_type: agent, severity: agent === 'SearchAgent' ? 'critical' : 'warning', team: 'merge' },
  annotations: { summary: `${agent} is down` }, startsAt: new Date(Date.now() - 60_000).toISOString(), fingerprint: fp,
}], { groupKey: `{}:{agent_type="${agent}"}` }));

type Json = Record<string, unknown>;

function selectIn(blocks: Json[]): { element: Json; blockId: string | undefined } | undefined {
  for (const b of blocks) {
    const acc = b.accessory as Json | undefined;
    if (acc?.type === 'static_select' && acc.action_id === INCIDENT_ACTION_IDS.merge) return { element: acc, blockId: b.block_id as string | undefined };
  }
  return undefined;
}

describe('same incident as…', () => {
  it('merges one thread into another from the root, audited; a refused merge is explained and audited', async () => {
    expect((await fire('MailAgent', 'fp-mail-1')).status).toBe(202);
    expect((await fire('SearchAgent', 'fp-search-1')).status).toBe(202);
    const rootOf = (agent: string) => h.roots(ALERT_CHANNEL).find((m) => allText(m).includes(`${agent} is down`));
    const mailRoot = await waitFor(() => rootOf('MailAgent'), { what: 'MailAgent root' });
    const searchRoot = await waitFor(() => rootOf('SearchAgent'), { what: 'SearchAgent root' });
    const active = await h.store.listActive();
    const mail = active.find((i) => i.agents.includes('MailAgent'))!;
    const search = active.find((i) => i.agents.includes('SearchAgent'))!;
    expect(mail.id).not.toBe(search.id);

    // the root's button: the other open incidents of the channel, to the person who clicked
    expect((await h.sandbox.clickButton(h.bot.eventsUrl, mailRoot, INCIDENT_ACTION_IDS.sameAs, USER)).status).toBe(200);
    const offer = await waitFor(() => h.sandbox.ephemerals.find((e) => e.user === USER && selectIn(e.blocks)), { what: 'the choice' });
    const select = selectIn(offer.blocks)!;
    const options = select.element.options as { text: { text: string }; value: string }[];
    expect(options.map((o) => o.text.text)).toEqual([expect.stringContaining('SearchAgent is down')]);

    // the choice: MailAgent's incident is the same as SearchAgent's
    expect((await h.sandbox.sendBlockAction(h.bot.eventsUrl, {
      user: USER, channel: ALERT_CHANNEL, messageTs: offer.ts, element: select.element, blockId: select.blockId, selectedOption: options[0]!,
    })).status).toBe(200);
    await waitFor(async () => (await h.store.get(mail.id))?.state === 'resolved', { what: 'the merged incident closed' });
    expect(await h.store.get(mail.id)).toMatchObject({ state: 'resolved', resolvedBy: USER, mergedInto: { id: search.id, rootTs: searchRoot.ts } });
    const survivor = (await h.store.get(search.id))!;
    expect(survivor).toMatchObject({ state: 'open', alertsFiring: 2, alertsTotal: 2, agents: ['MailAgent', 'SearchAgent'], severity: 'critical' });
    expect((await h.store.listActive()).map((i) => i.id)).toEqual([search.id]);

    // both threads say so, each linking the other; the merged root says where to go, the other counts the alerts
    const link = (ts: string) => `p${ts.replace('.', '')}`;
    await waitFor(() => h.replies(mailRoot).some((m) => m.text.includes('same incident as') && m.text.includes(link(searchRoot.ts))), { what: 'note in the merged thread' });
    await waitFor(() => h.replies(searchRoot).some((m) => m.text.includes('merged') && m.text.includes(link(mailRoot.ts))), { what: 'note in the surviving thread' });
    await waitFor(() => mailRoot.edits.some((e) => JSON.stringify(e.blocks).includes('*Merged* into') && JSON.stringify(e.blocks).includes(link(searchRoot.ts))), { what: 'merged root edited' });
    await waitFor(() => searchRoot.edits.some((e) => JSON.stringify(e.blocks).includes('2 firing · 2 in all')), { what: 'surviving root edited' });
    expect(mailRoot.edits.at(-1)!.blocks.some((b) => b.type === 'actions')).toBe(false);

    // a later alert of the merged scope joins the survivor: no new thread
    expect((await fire('MailAgent', 'fp-mail-2')).status).toBe(202);
    await waitFor(async () => (await h.store.get(search.id))?.alertsFiring === 3, { what: 'the later alert joined' });
    expect(h.roots(ALERT_CHANNEL)).toHaveLength(2);

    // refused: the merged incident is resolved; told to the person, nothing changes, audited
    await h.sandbox.sendBlockAction(h.bot.eventsUrl, {
      user: USER, channel: ALERT_CHANNEL, messageTs: offer.ts, element: select.element, blockId: select.blockId,
      selectedOption: { text: { type: 'plain_text', text: 'x' }, value: JSON.stringify({ i: search.id, t: mail.id }) },
    });
    await waitFor(() => h.sandbox.ephemerals.find((e) => e.user === USER && e.text.includes('cannot be merged')), { what: 'the refusal' });
    expect((await h.store.get(search.id))?.state).toBe('open');

    const audit = await readAudit(h.redis, keyPrefix(h.bot.config.queues.prefix), { subject: mail.id });
    expect(audit.map((e) => e.type)).toContain('incident.merged');
    expect(audit.find((e) => e.type === 'incident.merged')).toMatchObject({ actor: USER, incident_id: mail.id, data: { into: search.id, moved: 1 } });
    const refused = await readAudit(h.redis, keyPrefix(h.bot.config.queues.prefix), { subject: search.id });
    expect(refused.find((e) => e.type === 'incident.merge_refused')).toMatchObject({ actor: USER, data: { into: mail.id, reason: 'resolved' } });
  }, 60_000);
});
