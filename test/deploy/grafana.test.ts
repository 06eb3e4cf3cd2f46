/**
 * deploy/grafana/autogen-ops.json stays true to the code: every panel's PromQL query (and every template
 * variable's query) names only metrics the code exports, read from a live `/metrics` of a test bot (prom-client,
 * src/metrics.ts) and of the demo fleet's bridge (bridge/src/autogen_ops_bridge/metrics.py); and every
 * exported family of the bot's own and the bridge's is shown somewhere (so a new metric gets a panel).
 */
import { readFileSync } from 'node:fs';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBot, type TestBot } from '../support/bot.js';
import { fleetAvailable, startTestFleet, type LocalFleet } from '../support/fleet.js';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';

interface Target { expr: string; refId: string }
interface Panel { id: number; type: string; title: string; targets?: Target[]; gridPos: { h: number; w: number; x: number; y: number } }
interface Variable { name: string; type: string; query?: string | { query: string } }
const dashboard = JSON.parse(readFileSync('deploy/grafana/autogen-ops.json', 'utf8')) as { uid: string; panels: Panel[]; templating: { list: Variable[] } };

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan', 'le']);

/**
 * The metric names a PromQL expression selects: identifiers that are not functions (followed by `(`),
 * not keywords, not inside label matchers `{…}`, grouping clauses `by (…)`, ranges `[…]` or strings, and
 * not Grafana variables (`$x`).
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ')
    .replace(/(?<![\w:])\d+(?:\.\d+)?(?:[eE][+-]?\d+|ms|[smhdwy])?(?![\w:])/g, ' ');
  const names: string[] = [];
  for (const m of stripped.matchAll(/[A-Za-z_:][\w:]*(?=\s*(\(?))/g)) {
    const [name, paren] = [m[0], m[1]];
    if (paren === '(' || KEYWORDS.has(name.toLowerCase())) continue;
    names.push(name);
  }
  return names;
}

/** label_values(metric{…}, label) → metric; anything else → its PromQL's names. */
function variableMetrics(q: string): string[] {
  const lv = /^label_values\(\s*([A-Za-z_:][\w:]*)/.exec(q.trim());
  return lv ? [lv[1]!] : metricNames(q.replace(/^query_result\((.*)\)$/, '$1'));
}

/** Every series name an exposition text can have: the families' TYPE lines (with _total / _bucket / _sum / _count) and every sample. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\w+) (\w+)/gm)) {
    names.add(name!);
    if (type === 'histogram' || type === 'summary') for (const s of ['_bucket', '_sum', '_count']) names.add(`${name}${s}`);
    if (type === 'counter' && !name!.endsWith('_total')) names.add(`${name}_total`);
  }
  for (const [, name] of text.matchAll(/^([A-Za-z_:][\w:]*)[{ ]/gm)) names.add(name!);
  return names;
}

function families(text: string): string[] {
  return [...text.matchAll(/^# TYPE (\w+) (\w+)/gm)].map(([, name]) => name!);
}

describe('deploy/grafana/autogen-ops.json', () => {
  it('parses metric names out of PromQL (the parser the check relies on)', () => {
    expect(metricNames('sum by (queue, state) (rate(autogen_ops_slash_commands_total{outcome="queued"}[$__rate_interval]))')).toEqual(['autogen_ops_slash_commands_total']);
    expect(metricNames('histogram_quantile(0.95, sum by (le) (rate(a_bucket{x=~"$y"}[5m]))) / clamp_min(b, 1e-9)')).toEqual(['a_bucket', 'b']);
    expect(metricNames('count by (runtime) (autogen_feature_enabled{runtime=~"$runtime"} == 0)')).toEqual(['autogen_feature_enabled']);
    expect(metricNames('x offset 5m > 2.5e3 and on (a) y')).toEqual(['x', 'y']);
    expect(variableMetrics('label_values(autogen_agent_messages_total{runtime=~"$runtime"}, agent_type)')).toEqual(['autogen_agent_messages_total']);
  });

  it('is a dashboard with panels that each have a query and do not overlap', () => {
    expect(dashboard.uid).toBe('autogen-ops');
    const graphs = dashboard.panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThan(10);
    for (const p of graphs) {
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      for (const t of p.targets ?? []) expect(metricNames(t.expr).length, `${p.title}: ${t.expr}`).toBeGreaterThan(0);
    }
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Set<string>();
    for (const p of dashboard.panels) {
      for (let dx = 0; dx < p.gridPos.w; dx += 1) {
        for (let dy = 0; dy < p.gridPos.h; dy += 1) {
          const cell = `${p.gridPos.x + dx},${p.gridPos.y + dy}`;
          expect(cells.has(cell), `${p.title} overlaps another panel at ${cell}`).toBe(false);
          cells.add(cell);
        }
      }
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
  });

  describe.runIf(fleetAvailable())('against a live bot and a live bridge', () => {
    let sandbox: Sandbox;
    let fleet: LocalFleet;
    let bot: TestBot;
    let botText = '';
    let bridgeText = '';

    beforeAll(async () => {
      [sandbox, fleet] = await Promise.all([startTestSandbox(), startTestFleet({ name: 'grafana-check' })]);
      bot = await startTestBot({ sandbox, runtimes: { demo: { url: fleet.url, token: fleet.token } }, worker: false });
      // /metrics is served beside /healthz on a loopback HOST (docs/security.md)
      botText = await (await request(`${bot.eventsUrl.replace('/slack/events', '')}/metrics`)).body.text();
      bridgeText = await (await request(`${fleet.url}/metrics`, { headers: { authorization: `Bearer ${fleet.token}` } })).body.text();
    }, 60_000);

    afterAll(async () => {
      await bot?.stop();
      await Promise.all([fleet?.stop(), sandbox?.stop()]);
    });

    it('every panel and variable query names only metrics the bot or the bridge exports', () => {
      const exported = new Set([...exportedNames(botText), ...exportedNames(bridgeText)]);
      expect(exported.has('autogen_ops_queue_jobs')).toBe(true);
      expect(exported.has('autogen_agent_messages_total')).toBe(true);
      const used: string[] = [];
      for (const p of dashboard.panels) {
        for (const t of p.targets ?? []) {
          for (const name of metricNames(t.expr)) {
            used.push(name);
            expect(exported.has(name), `panel "${p.title}" queries ${name}, which neither the bot nor the bridge exports`).toBe(true);
          }
        }
      }
      for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) {
        const q = typeof v.query === 'string' ? v.query : v.query?.query ?? '';
        for (const name of variableMetrics(q)) expect(exported.has(name), `variable $${v.name} queries ${name}`).toBe(true);
      }
      expect(used.length).toBeGreaterThan(20);
    });

    it('shows every metric of the bot\'s own and of the bridge (a new metric gets a panel)', () => {
      const text = JSON.stringify(dashboard.panels);
      const own = families(botText).filter((n) => !/^autogen_ops_(process|nodejs)_/.test(n));
      expect(own.length).toBeGreaterThan(0);
      for (const name of [...own, ...families(bridgeText)]) expect(text.includes(name), `${name} has no panel`).toBe(true);
    });
  });
});
