/**
 * The learned call graph is ready for the first alert after a start, with no configuration: a real
 * five-agent AutoGen application (eval/fault_apps `chain`: Gateway → Router → Planner → Retriever → Store)
 * whose database refuses connections fails as one cascade, and its five agents' alerts — each in its own
 * Alertmanager notification, the top of the chain first — open ONE thread:
 * - after a restart of the bot on the same Redis while the bridge cannot be read (the graph kept in Redis);
 * - on a fresh Redis, right after the start (the graph read from the bridge before the first alert is grouped).
 * The monitor is off throughout: the grouping rests on the graph alone.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphKey } from '../../src/incidents/call-graph.js';
import { freePort } from '../../src/local/redis.js';
import { keyPrefix } from '../../src/queues/connection.js';
import { startApp, type AppProcess } from '../eval/app.js';
import { ALERT_CHANNEL, amNotification, startAlertHarness, type AlertHarness } from '../incidents/harness.js';
import { fleetPython } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';

const CHAIN = ['Gateway', 'Router', 'Planner', 'Retriever', 'Store'];
let app: AppProcess;

beforeAll(async () => {
  app = await startApp({ python: fleetPython(), app: 'chain', name: 'chain' });
}, 60_000);

afterAll(async () => {
  await app?.stop();
});

async function fault(method: 'POST' | 'DELETE'): Promise<number> {
  const res = await request(`${app.url}/v1/faults`, {
    method,
    headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json' },
    ...(method === 'POST' ? { body: JSON.stringify({ fault: 'db_refuses', agent_type: 'Store', params: {} }) } : {}),
  });
  await res.body.text();
  return res.statusCode;
}

/** One notification per agent (its own group), the top of the chain first. */
async function fireCascade(h: AlertHarness, tag: string): Promise<void> {
  const startsAt = new Date(Date.now() - 30_000).toISOString();
  for (const agent of CHAIN) {
    const labels = { alertname: 'AutoGenAgentErrors', runtime: 'chain', agent_type: agent, severity: 'error', run: tag };
    const body = amNotification([{ status: 'firing', labels, annotations: { summary: `${agent} raises errors` }, startsAt, fingerprint: randomBytes(8).toString('hex') }],
      { groupKey: `{}:{agent_type="${agent}",run="${tag}"}` });
    expect((await h.postAlertmanager(body)).status).toBe(202);
  }
}

async function cascadeIncidents(h: AlertHarness, tag: string) {
  const all = await h.store.listActive(100);
  const mine = [];
  for (const inc of all) {
    const alerts = await h.store.alerts(inc.id);
    if (alerts.some((a) => a.detail.labels.run === tag)) mine.push({ inc, firing: alerts.filter((a) => a.status === 'firing').length });
  }
  return mine;
}

async function expectOneThread(h: AlertHarness, tag: string): Promise<void> {
  await waitFor(async () => (await cascadeIncidents(h, tag)).reduce((n, x) => n + x.firing, 0) === 5, { what: 'five alerts applied', timeoutMs: 30_000 });
  const incidents = await cascadeIncidents(h, tag);
  expect(incidents).toHaveLength(1);
  expect(incidents[0]!.inc.agents).toEqual([...CHAIN].sort());
  const root = await waitFor(() => h.roots(ALERT_CHANNEL).filter((m) => m.text.includes('raises errors')), { what: 'the root' });
  expect(root).toHaveLength(1);
}

describe('cascade grouping from the learned call graph, from the first alert after a start', () => {
  it('a restart on the same Redis while the bridge is unreachable: the graph kept in Redis makes the five alerts one thread', async () => {
    const prefix = `{t${randomBytes(5).toString('hex')}}`;
    // the first life of the bot: it reads the healthy application's graph from the bridge at start
    const first = await startAlertHarness({ workers: 1, runtimes: { chain: { url: app.url, token: app.token } }, env: { QUEUE_PREFIX: prefix } });
    try {
      await waitFor(async () => (await first.redis.zcard(graphKey(keyPrefix(prefix), 'chain'))) >= 4, { what: 'the graph read from the bridge', timeoutMs: 20_000 });
    } finally {
      await first.stop();
    }
    expect(await fault('POST')).toBe(200);
    // the second life: same Redis and prefix, the runtime configured but its bridge unreachable (a closed port)
    const deadUrl = `http://127.0.0.1:${await freePort()}`;
    const second = await startAlertHarness({ workers: 1, runtimes: { chain: { url: deadUrl, token: app.token } }, env: { QUEUE_PREFIX: prefix } });
    try {
      await fireCascade(second, 'restart');
      await expectOneThread(second, 'restart');
    } finally {
      await second.stop();
      await fault('DELETE');
    }
  }, 120_000);

  it('a fresh Redis: the graph is read from the bridge at start, before the first alert is grouped', async () => {
    expect(await fault('POST')).toBe(200);
    const h = await startAlertHarness({ workers: 1, runtimes: { chain: { url: app.url, token: app.token } } });
    try {
      // no waiting for anything: the alerts go in right after the start
      await fireCascade(h, 'fresh');
      await expectOneThread(h, 'fresh');
      // the graph holds the failure origins the bridge reported, beside who sent to whom
      const edges = await h.redis.zrange(graphKey(keyPrefix(h.bot.config.queues.prefix), 'chain'), 0, -1);
      expect(edges).toEqual(expect.arrayContaining(['Gateway>Router', 'Router>Planner', 'Planner>Retriever', 'Retriever>Store']));
    } finally {
      await h.stop();
      await fault('DELETE');
    }
  }, 120_000);
});
