/**
 * The shipped deployment files stay true: the Alertmanager example passes `amtool check-config`, and every
 * Prometheus rule is well-formed, uses only metrics the real bridge exports, and is named like the alert the
 * bot's own monitor raises for the same condition (so runbooks match either source).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { request } from 'undici';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSeverity } from '../../src/incidents/severity.js';
import { MONITOR_ALERTS } from '../../src/monitor/evaluate.js';
import { startTestFleet, type LocalFleet } from '../support/fleet.js';

interface Rule { alert: string; expr: string; for?: string; labels: Record<string, string>; annotations: Record<string, string> }
const rules = (parse(readFileSync('deploy/prometheus/autogen-ops-rules.yml', 'utf8')) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);
const AMTOOL = ['/usr/bin/amtool'].find((p) => existsSync(p));

describe('deploy/alertmanager/alertmanager.yml', () => {
  it('is a valid Alertmanager configuration with a webhook receiver that authenticates', () => {
    expect(AMTOOL, 'amtool comes with prometheus-alertmanager (make deps installs it)').toBeDefined();
    const out = execFileSync(AMTOOL!, ['check-config', 'deploy/alertmanager/alertmanager.yml'], { encoding: 'utf8' });
    expect(out).toContain('SUCCESS');
    const config = parse(readFileSync('deploy/alertmanager/alertmanager.yml', 'utf8')) as { receivers: { webhook_configs: { url: string; http_config: { authorization: { type: string } } }[] }[] };
    const hook = config.receivers[0]!.webhook_configs[0]!;
    expect(hook.url).toMatch(/\/alerts\/alertmanager$/);
    expect(hook.http_config.authorization.type).toBe('Bearer');
  });
});

describe('deploy/prometheus/autogen-ops-rules.yml', () => {
  it('every rule has a known severity, a summary and a description', () => {
    expect(rules.length).toBeGreaterThan(0);
    for (const r of rules) {
      expect(isSeverity(r.labels.severity ?? ''), r.alert).toBe(true);
      expect(r.annotations.summary, r.alert).toBeTruthy();
      expect(r.annotations.description, r.alert).toBeTruthy();
    }
  });

  it('covers every condition of the bot\'s own monitor, under the same alert names', () => {
    expect(rules.map((r) => r.alert).sort()).toEqual(Object.values(MONITOR_ALERTS).sort());
  });

  describe('against the real bridge', () => {
    let fleet: LocalFleet;
    beforeAll(async () => {
      fleet = await startTestFleet({ name: 'deploy-check' });
    }, 60_000);
    afterAll(async () => {
      await fleet?.stop();
    });

    it('uses only metrics the bridge exports', async () => {
      const res = await request(`${fleet.url}/metrics`, { headers: { authorization: `Bearer ${fleet.token}` } });
      const text = await res.body.text();
      const exported = new Set([...text.matchAll(/^# TYPE (\w+) (\w+)/gm)].flatMap(([, name, type]) =>
        type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : type === 'counter' && !name!.endsWith('_total') ? [`${name}_total`] : [name!]));
      for (const r of rules) {
        for (const [metric] of r.expr.matchAll(/\bautogen_\w+/g)) expect(exported.has(metric), `${r.alert}: ${metric}`).toBe(true);
      }
    });
  });
});
