/**
 * Alerts that carry their own topology (`ALERT_TOPOLOGY_LABELS`, default upstream, caller, depends_on) are
 * grouped by it, whatever order they arrive in; and the learned graph is bounded and kept under the prefix.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { Outbox } from '../../src/outbox/index.js';
import { Queues } from '../../src/queues/queues.js';
import type { NormalizedAlert } from '../../src/incidents/alert.js';
import { applyAlertEvents } from '../../src/incidents/apply.js';
import { CallGraph, GRAPH_MAX_EDGES, graphKey, labelledEdges, topologyEdges } from '../../src/incidents/call-graph.js';
import { incidentContext } from '../../src/incidents/context.js';
import { slackPresenters } from '../../src/slack/presenters/index.js';
import { DEFAULT_GROUPING } from '../../src/incidents/grouping.js';

let redis: Redis;
beforeAll(() => { redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null }); });
afterAll(() => redis.disconnect());

function setup(env: Record<string, string> = {}) {
  const prefix = `{t${randomUUID().slice(0, 8)}}`;
  const config = loadConfig({ ALERT_CHANNEL: 'C0ALERTS', ALERT_AUTO_PLAN: 'false', ALERT_AUTO_DIAGNOSE: 'false', LOG_LEVEL: 'silent', ...env });
  const queues = new Queues(redis, prefix, { attempts: 3, backoffMs: 10 });
  const ctx = incidentContext({ config, logger: createLogger(config), redis, keyPrefix: `${prefix}:`, queues, outbox: new Outbox(queues, redis, `${prefix}:`), presenters: slackPresenters, now: () => new Date() });
  return { ctx, queues, prefix: `${prefix}:` };
}

let n = 0;
const alert = (agent: string, extra: Record<string, string> = {}, runtime: string | null = 'prod'): NormalizedAlert => ({
  source: 'am', kind: 'alertmanager', fingerprint: `fp${(n += 1)}`, status: 'firing', startsAt: new Date(Date.now() - 1000).toISOString(), endsAt: null,
  generatorURL: null, groupKey: null,
  labels: { alertname: 'Errors', agent_type: agent, severity: 'error', ...(runtime ? { runtime } : {}), ...extra }, annotations: { summary: `${agent} fails` },
});

describe('topology labels', () => {
  it('each configured label names the other agent(s); values are comma-separated; self and junk are ignored', () => {
    const labels = { upstream: 'PlannerAgent, ToolAgent', caller: 'Gateway', depends_on: 'ChatAgent', other: 'X' };
    expect(topologyEdges(labels, 'ChatAgent', DEFAULT_GROUPING.topologyLabels)).toEqual([
      ['ChatAgent', 'PlannerAgent'], ['ChatAgent', 'ToolAgent'], ['ChatAgent', 'Gateway'],
    ]);
    expect(topologyEdges({ upstream: 'bad name!' }, 'A', ['upstream'])).toEqual([]);
    expect(topologyEdges({ upstream: 'B' }, null, ['upstream'])).toEqual([]);
    const rules = { ...DEFAULT_GROUPING };
    expect([...labelledEdges([alert('A', { upstream: 'B' }), alert('C', { caller: 'D' }, null), alert('E')], rules)]).toEqual([
      ['prod', [['A', 'B']]], ['', [['C', 'D']]],
    ]);
    expect(labelledEdges([alert('A', { upstream: 'B' })], { ...rules, topologyLabels: [] }).size).toBe(0);
  });

  it('a chain told by upstream labels is one incident, alerts arriving one job at a time from the top', async () => {
    const { ctx, queues } = setup();
    try {
      const ids = new Set<string>();
      for (const a of [alert('ChatAgent', { upstream: 'PlannerAgent' }), alert('PlannerAgent', { upstream: 'RetrieverAgent' }), alert('RetrieverAgent', { upstream: 'ToolAgent' }), alert('ToolAgent')]) {
        await applyAlertEvents(ctx, [a]);
        for (const inc of await ctx.store.listActive()) ids.add(inc.id);
      }
      expect(ids.size).toBe(1);
      const [inc] = await ctx.store.listActive();
      expect(inc!.agents).toEqual(['ChatAgent', 'PlannerAgent', 'RetrieverAgent', 'ToolAgent']);
    } finally {
      await queues.close();
    }
  });

  it('alerts naming no runtime are grouped by their labels too; without the labels (turned off) they split', async () => {
    const on = setup();
    const off = setup({ ALERT_TOPOLOGY_LABELS: 'none' });
    try {
      const batch = () => [alert('Frontend', { caller: 'Edge' }, null), alert('Edge', {}, null)];
      await applyAlertEvents(on.ctx, batch());
      expect((await on.ctx.store.listActive()).map((i) => i.agents)).toEqual([['Edge', 'Frontend']]);
      await applyAlertEvents(off.ctx, batch());
      expect(await off.ctx.store.listActive()).toHaveLength(2);
    } finally {
      await on.queues.close();
      await off.queues.close();
    }
  });
});

describe('the learned call graph in Redis', () => {
  it('is a bounded sorted set under the hash-tagged prefix, with a TTL, readable by the next process', async () => {
    const prefix = `{t${randomUUID().slice(0, 8)}}:`;
    const logger = createLogger(loadConfig({ LOG_LEVEL: 'silent' }));
    const graph = new CallGraph({ redis, keyPrefix: prefix, logger, runtimes: [], now: () => new Date() });
    const many = Array.from({ length: GRAPH_MAX_EDGES + 50 }, (_, i) => [`A${i}`, `B${i}`] as const);
    await graph.record('prod', many);
    await graph.record('prod', [['ChatAgent', 'PlannerAgent']]);
    const key = graphKey(prefix, 'prod');
    expect(key.startsWith(prefix)).toBe(true);
    expect(await redis.zcard(key)).toBe(GRAPH_MAX_EDGES);
    expect(await redis.pttl(key)).toBeGreaterThan(0);
    const next = new CallGraph({ redis, keyPrefix: prefix, logger, runtimes: [], now: () => new Date() });
    expect(await next.edges('prod')).toContainEqual(['ChatAgent', 'PlannerAgent']);
  });
});
