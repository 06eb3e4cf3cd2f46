/**
 * `/autogen incidents` lists only what the asker may see: incidents whose thread is in the channel the
 * command was typed in, or in a channel the asker is a member of (conversations.members). A title routed
 * to a private channel never reaches someone outside it. End to end: intake → worker → sandbox.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { amNotification, startAlertHarness, type AlertHarness } from '../incidents/harness.js';
import { waitFor } from '../support/poll.js';

let h: AlertHarness;
const PRIVATE = 'C0PRIVATE';
const PUBLIC = 'C0PUBLIC';
const T0 = new Date(Date.now() - 60_000).toISOString();

function alert(team: string, summary: string) {
  return {
    status: 'firing' as const,
    labels: { alertname: `Alert${team}`, runtime: 'prod', agent_type: `${team}Agent`, severity: 'critical', team },
    annotations: { summary },
    startsAt: T0,
    fingerprint: `scope-${team}`,
  };
}

beforeAll(async () => {
  h = await startAlertHarness({ env: { ALERT_ROUTES: `team=secret -> ${PRIVATE}; team=pub -> ${PUBLIC}` } });
  h.sandbox.channelMembers.set(PRIVATE, ['U0INSIDER']);
  // a long member list: the asker is found on a later page
  h.sandbox.channelMembers.set(PUBLIC, [...Array.from({ length: 1500 }, (_, i) => `U0FILL${i}`), 'U0INSIDER', 'U0OUTSIDER']);
  expect((await h.postAlertmanager(amNotification([alert('secret', 'Merger talks: payroll agent down')]))).status).toBe(202);
  expect((await h.postAlertmanager(amNotification([alert('pub', 'Public search agent slow')]))).status).toBe(202);
  await waitFor(() => h.roots(PRIVATE)[0] && h.roots(PUBLIC)[0], { what: 'both incident roots', timeoutMs: 20_000 });
});

afterAll(async () => {
  await h.stop();
});

async function listFor(user: string, channel: string): Promise<string> {
  const res = await h.sandbox.sendCommand(h.bot.eventsUrl, { text: 'incidents', channel, user });
  expect(res.status).toBe(200);
  const e = await waitFor(() => h.sandbox.ephemerals.find((x) => x.user === user && x.channel === channel), { what: `incident list for ${user}` });
  return `${e.text}\n${JSON.stringify(e.blocks)}`;
}

describe('/autogen incidents is scoped to the asker', () => {
  it('someone outside the private channel does not see its incident (asked from elsewhere)', async () => {
    const seen = await listFor('U0OUTSIDER', 'C0LOBBY');
    expect(seen).toContain('Public search agent slow');
    expect(seen).not.toContain('Merger talks');
    expect(seen).not.toContain(PRIVATE);
  });

  it('a member of both channels sees both', async () => {
    const seen = await listFor('U0INSIDER', 'C0LOBBY');
    expect(seen).toContain('Public search agent slow');
    expect(seen).toContain('Merger talks');
  });

  it('the channel asked from counts even without a membership answer; nothing else does', async () => {
    const seen = await listFor('U0STRANGER', PUBLIC);
    expect(seen).toContain('Public search agent slow');
    expect(seen).not.toContain('Merger talks');
    const nothing = await listFor('U0NOBODY', 'C0EMPTY');
    expect(nothing).toContain('No open incidents');
    expect(h.sandbox.callsOf('conversations.members').length).toBeGreaterThan(0);
  });
});
