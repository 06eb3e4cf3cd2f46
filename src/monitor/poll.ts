/**
 * One poll of one runtime by the bot's own monitor (a `monitor` job, run by a BullMQ job scheduler):
 * read the bridge, evaluate the guide's thresholds, raise alerts for conditions that started and resolve
 * the ones that cleared — through the same `alert` jobs as Alertmanager's — and remember the agent
 * dependencies seen in the message log (for cascade grouping).
 *
 * One poll per runtime at a time (a short Redis lock); the firing set is kept in Redis so that any worker
 * replica can take the next poll.
 */
import type { Redis } from 'ioredis';
import type { Config } from '../config.js';
import { isOpsError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Queues } from '../queues/queues.js';
import type { BridgeClient } from '../runtime/client.js';
import { thresholdsFor } from '../diagnosis/thresholds.js';
import type { NormalizedAlert } from '../incidents/alert.js';
import { ALERTS_AHEAD_PRIORITY, alertsJobs } from '../incidents/jobs.js';
import type { IncidentStore } from '../incidents/store.js';
import { edgeText, edgesFromMessages } from './edges.js';
import { evaluate, unreachableFinding, type Finding } from './evaluate.js';
import { monitorStep, type FiringSet } from './transitions.js';

export interface MonitorContext {
  readonly config: Pick<Config, 'alerts' | 'monitor' | 'thresholds'>;
  readonly redis: Redis;
  /** Key prefix with trailing ':'. */
  readonly keyPrefix: string;
  readonly queues: Queues;
  readonly store: IncidentStore;
  readonly logger: Logger;
  bridgeFor(runtime: string): BridgeClient;
  now(): Date;
}

/** How long the firing set and learned dependencies are kept without a poll, ms. */
const STATE_TTL_MS = 86_400_000;
/** Message records read per poll for learning dependencies. */
const MESSAGES_PER_POLL = 200;

export const monitorKeys = (prefix: string, runtime: string) => ({
  firing: `${prefix}monitor:firing:${runtime}`,
  lock: `${prefix}monitor:lock:${runtime}`,
});

export type PollOutcome =
  | { readonly status: 'skipped'; readonly reason: string }
  | { readonly status: 'polled'; readonly reachable: boolean; readonly findings: number; readonly raised: number; readonly resolved: number };

function reasonOf(err: unknown): string {
  if (isOpsError(err)) return typeof err.details.reason === 'string' ? err.details.reason : err.code;
  return err instanceof Error ? err.message : String(err);
}

export async function pollRuntime(ctx: MonitorContext, runtime: string, token: string): Promise<PollOutcome> {
  const keys = monitorKeys(ctx.keyPrefix, runtime);
  const lockMs = Math.max(ctx.config.monitor.intervalMs * 2, 10_000);
  if ((await ctx.redis.set(keys.lock, token, 'PX', lockMs, 'NX')) !== 'OK') return { status: 'skipped', reason: 'another poll of this runtime is running' };
  try {
    const previous = JSON.parse((await ctx.redis.get(keys.firing)) ?? '{}') as FiringSet;
    const bridge = ctx.bridgeFor(runtime);
    const nowMs = ctx.now().getTime();
    let findings: Finding[];
    let carry = new Set<string>();
    let reachable = true;
    try {
      const [info, agents, messages] = await Promise.all([
        bridge.runtime(),
        bridge.agents(),
        bridge.messages({ limit: MESSAGES_PER_POLL }).catch(() => ({ messages: [] })),
      ]);
      findings = evaluate(info, agents.agents, thresholdsFor(ctx.config, runtime), nowMs, {
        minSamples: ctx.config.monitor.minSamples, defaultWindowS: 300,
      });
      const edges = edgesFromMessages(messages.messages).map(edgeText);
      await ctx.store.recordEdges(runtime, edges, STATE_TTL_MS);
    } catch (err) {
      if (!isOpsError(err) || !['RUNTIME_UNREACHABLE', 'RUNTIME_AUTH_FAILED', 'RUNTIME_BAD_RESPONSE'].includes(err.code)) throw err;
      reachable = false;
      findings = [unreachableFinding(runtime, reasonOf(err))];
      carry = new Set(Object.keys(previous));
    }
    const step = monitorStep(runtime, findings, previous, nowMs, carry);
    await enqueueAlerts(ctx, step.events);
    await ctx.redis.set(keys.firing, JSON.stringify(step.next), 'PX', STATE_TTL_MS);
    const raised = step.events.filter((e) => e.status === 'firing').length;
    if (step.events.length > 0) {
      ctx.logger.info({ runtime, raised, resolved: step.events.length - raised, reachable }, 'monitor raised alerts');
    }
    return { status: 'polled', reachable, findings: findings.length, raised, resolved: step.events.length - raised };
  } finally {
    // release only our own lock
    await ctx.redis.eval("if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0", 1, keys.lock, token);
  }
}

async function enqueueAlerts(ctx: MonitorContext, events: readonly NormalizedAlert[]): Promise<void> {
  if (events.length === 0) return;
  const now = ctx.now();
  // transitions only (never a storm): ahead of any backlog of alerts from other sources
  await ctx.queues.get('alert').addBulk(alertsJobs(events, now, ctx.config.alerts.dedupeWindowS, ALERTS_AHEAD_PRIORITY));
}
