/**
 * Live: a real AutoGen application (eval/fault_apps `chain`, five agents in a row) with its bridge, a real
 * Prometheus (Debian 2.42) scraping the bridge's /metrics every second with an error rule, a real
 * Alertmanager (0.25) posting to the bot's intake. The database under the chain refuses connections, so all
 * five agents raise errors — five alerts, one per agent — and then recovers. Asserted: one thread for the
 * cascade (the learned call graph, no configuration), the root edited to resolved once Prometheus resolves,
 * at most one response plan in the thread, and no warning log line for routine waits.
 */
import { Writable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/local/redis.js';
import { PLAN_ACTIONS } from '../../src/slack/blocks/plan.js';
import { startApp, type AppProcess } from '../eval/app.js';
import { startAlertmanager, type LocalAlertmanager } from '../incidents/alertmanager.js';
import { AM_TOKEN, ALERT_CHANNEL, allText, startAlertHarness, type AlertHarness } from '../incidents/harness.js';
import { startPrometheus, type LocalPrometheus } from '../incidents/prometheus.js';
import { fleetPython } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';

const RULES = `groups:
  - name: autogen-ops-live
    rules:
      - alert: AutoGenAgentErrors
        expr: sum by (runtime, agent_type) (increase(autogen_agent_handler_errors_total[5s])) > 0
        labels:
          severity: error
        annotations:
          summary: "{{ $labels.agent_type }} is raising errors"
`;

let app: AppProcess;
let h: AlertHarness;
let am: LocalAlertmanager;
let prom: LocalPrometheus;
const lines: { level: number; msg: string; code?: string }[] = [];

beforeAll(async () => {
  app = await startApp({ python: fleetPython(), app: 'chain', name: 'chain' });
  const [amPort, promPort] = [await freePort(), await freePort()];
  const collector = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) {
        if (line.trim() === '') continue;
        try { lines.push(JSON.parse(line) as { level: number; msg: string }); } catch { /* not a log line */ }
      }
      done();
    },
  });
  h = await startAlertHarness({
    workers: 1,
    runtimes: { chain: { url: app.url, token: app.token } },
    logDestination: collector,
    env: { LOG_LEVEL: 'info', ALERT_AUTO_PLAN: 'true', ALERT_COALESCE_MS: '500' },
  });
  am = await startAlertmanager({ port: amPort, webhookUrl: `${h.intake.intake.url}/alerts/alertmanager`, bearerToken: AM_TOKEN, maxAlerts: 0, groupBy: ['alertname', 'agent_type'] });
  prom = await startPrometheus({
    port: promPort, target: { hostPort: new URL(app.url).host, token: app.token, runtime: 'chain' }, alertmanager: `127.0.0.1:${amPort}`, rules: RULES,
  });
}, 90_000);

afterAll(async () => {
  await prom?.stop();
  await am?.stop();
  await h?.stop();
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

describe('Prometheus → Alertmanager → the bot, live', () => {
  it('a five-agent cascade is one thread, resolved in its root, with at most one plan and no warnings for routine waits', async () => {
    expect(await fault('POST')).toBe(200);
    const incident = await waitFor(async () => {
      const open = (await h.store.listActive()).filter((i) => i.runtime === 'chain');
      return open.length === 1 && open[0]!.agents.length === 5 ? open[0] : undefined;
    }, { what: 'the cascade incident with its five agents', timeoutMs: 45_000 }).catch(async (err: Error) => {
      throw new Error(`${err.message}; open: ${JSON.stringify((await h.store.listActive()).map((i) => [i.title, i.agents]))}`);
    });
    expect(incident.agents).toEqual(['Gateway', 'Planner', 'Retriever', 'Router', 'Store']);
    expect((await h.store.listActive()).filter((i) => i.runtime === 'chain')).toHaveLength(1);

    expect(await fault('DELETE')).toBe(200);
    await waitFor(async () => (await h.store.get(incident.id))?.state === 'resolved', { what: 'resolved by Prometheus', timeoutMs: 45_000 });
    const roots = h.roots(ALERT_CHANNEL).filter((m) => allText(m).includes(incident.id));
    expect(roots).toHaveLength(1);
    await waitFor(() => roots[0]!.edits.some((e) => JSON.stringify(e.blocks).includes('Resolved: ')), { what: 'root edited to resolved' });
    const plans = h.replies(roots[0]!).filter((m) => JSON.stringify(m.blocks).includes(PLAN_ACTIONS.approve));
    expect(plans.length).toBeLessThanOrEqual(1);
    expect(lines.some((l) => l.msg === 'incident opened')).toBe(true); // the collector sees the bot's lines
    const warnings = lines.filter((l) => l.level >= 40);
    expect(warnings.map((l) => `${l.msg} ${l.code ?? ''}`)).toEqual([]);
  }, 120_000);
});
