/**
 * The incident pipeline's context for one worker process: the store, the thread's outbox and queues, the
 * configuration, the clock, and a short cache of learned agent dependencies per runtime.
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../outbox/index.js';
import type { Queues } from '../queues/queues.js';
import { edgesFromText } from '../monitor/edges.js';
import type { ApplyContext } from './apply.js';
import type { AgentEdge } from './grouping.js';
import { IncidentStore } from './store.js';
import type { Redis } from 'ioredis';

export interface IncidentDeps {
  readonly config: Pick<Config, 'alerts' | 'runtimes'>;
  readonly logger: Logger;
  readonly redis: Redis;
  /** Key prefix with trailing ':' (hash-tagged). */
  readonly keyPrefix: string;
  readonly queues: Queues;
  readonly outbox: Outbox;
  now(): Date;
}

/** How long learned dependencies are cached in the process, ms. */
const EDGES_CACHE_MS = 10_000;

export function incidentContext(deps: IncidentDeps): ApplyContext {
  const store = new IncidentStore(deps.redis, {
    keyPrefix: deps.keyPrefix,
    reopenWindowMs: deps.config.alerts.reopenWindowMs,
    retentionMs: deps.config.alerts.retentionMs,
  });
  const cache = new Map<string, { at: number; edges: readonly AgentEdge[] }>();
  return {
    config: deps.config.alerts,
    runtimes: deps.config.runtimes,
    store,
    outbox: deps.outbox,
    queues: deps.queues,
    logger: deps.logger,
    now: () => deps.now(),
    async learnedEdges(runtime: string) {
      const hit = cache.get(runtime);
      const nowMs = Date.now();
      if (hit && nowMs - hit.at < EDGES_CACHE_MS) return hit.edges;
      const edges = edgesFromText(await store.learnedEdges(runtime));
      cache.set(runtime, { at: nowMs, edges });
      return edges;
    },
  };
}
