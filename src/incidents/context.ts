/**
 * The incident pipeline's context for one worker process: the store, the thread's outbox and queues, the
 * configuration, the clock, and the learned call graph of each runtime (src/incidents/call-graph.ts).
 */
import type { Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../outbox/index.js';
import type { Queues } from '../queues/queues.js';
import type { BridgeClient } from '../runtime/client.js';
import type { ApplyContext } from './apply.js';
import { CallGraph } from './call-graph.js';
import type { IncidentPresenter } from './presenter.js';
import type { MergeContext } from './merge-action.js';
import { IncidentStore } from './store.js';
import type { RedisClient } from '../redis/connect.js';

export interface IncidentDeps {
  readonly config: Pick<Config, 'alerts' | 'runtimes'>;
  readonly logger: Logger;
  readonly redis: RedisClient;
  /** Key prefix with trailing ':' (hash-tagged). */
  readonly keyPrefix: string;
  readonly queues: Queues;
  readonly outbox: Outbox;
  /** How incidents are shown (wired by the role: the Slack presenters, src/slack/presenters). */
  readonly presenters: { readonly incidents: IncidentPresenter };
  /** Bridge clients of the configured runtimes (the learned call graph is read from them at start). */
  readonly bridgeFor?: (runtime: string) => BridgeClient;
  now(): Date;
}

/**
 * `readGraphNow`: read every configured runtime's call graph from its bridge at once (the alert worker, at
 * its start), so that it is ready for the first alert; an alert arriving meanwhile waits for it.
 */
export function incidentContext(deps: IncidentDeps, opts: { readGraphNow?: boolean } = {}): ApplyContext & MergeContext {
  const store = new IncidentStore(deps.redis, {
    keyPrefix: deps.keyPrefix,
    reopenWindowMs: deps.config.alerts.reopenWindowMs,
    retentionMs: deps.config.alerts.retentionMs,
  });
  const graph = new CallGraph({
    redis: deps.redis, keyPrefix: deps.keyPrefix, logger: deps.logger, runtimes: Object.keys(deps.config.runtimes.byName),
    bridgeFor: deps.bridgeFor, now: () => deps.now(),
  });
  if (opts.readGraphNow) void graph.refreshAll();
  return {
    config: deps.config.alerts,
    runtimes: deps.config.runtimes,
    store,
    outbox: deps.outbox,
    presenter: deps.presenters.incidents,
    queues: deps.queues,
    logger: deps.logger,
    now: () => deps.now(),
    learnedEdges: (runtime) => graph.edges(runtime),
    recordEdges: (runtime, edges) => graph.record(runtime, edges),
    merging: { redis: deps.redis, keyPrefix: deps.keyPrefix },
  };
}
