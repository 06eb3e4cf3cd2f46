/**
 * One poll of one runtime by the bot's own monitor (a `monitor` job, run by a BullMQ job scheduler):
 * read the bridge, evaluate the guide's thresholds, raise alerts for conditions that started and resolve
 * the ones that cleared — through the same `alert` jobs as Alertmanager's — and remember the agent
 * dependencies seen in the message log (for cascade grouping).
 *
 * One poll per runtime at a time (a short Redis lock); the firing set is kept in Redis so that any worker
 * replica can take the next poll.
 */
import type { RedisClient } from '../redis/connect.js';
import type { Config } from '../config.js';
import { isOpsError } from '../errors.js';
import type { Logger } from '../log.js';
import { runScript } from '../redis/scripts.js';
import type { Queues } from '../queues/queues.js';
import type { BridgeClient } from '../runtime/client.js';
import { thresholdsFor } from '../diagnosis/thresholds.js';
import type { NormalizedAlert } from '../incidents/alert.js';
import { ALERTS_AHEAD_PRIORITY, alertsJobs } from '../incidents/jobs.js';
import { turnAlertJobs } from '../incidents/turns.js';
import type { IncidentStore } from '../incidents/store.js';
import { ownScopeOf } from '../incidents/grouping.js';
import { requestFlush } from '../incidents/thread.js';
import { edgesFromOrigins, recordGraphEdges } from '../incidents/call-graph.js';
import { edgesFromMessages } from './edges.js';
import { noteReachability } from './reachability.js';
import { evaluate, heldAgents, unreachableFinding, type Finding } from './evaluate.js';
import { alertIdsOf, forgetAgents, freshStarts, holdStep, monitorStep, type FiringSet, type HeldSet, type HoldStep, type MonitorStep } from './transitions.js';

export interface MonitorContext {
  readonly config: Pick<Config, 'alerts' | 'monitor' | 'thresholds'>;
  readonly redis: RedisClient;
  /** Key prefix with trailing ':'. */
  readonly keyPrefix: string;
  readonly queues: Queues;
  readonly store: IncidentStore;
  readonly logger: Logger;
  bridgeFor(runtime: string): BridgeClient;
  now(): Date;
}

/** How long the firing set is kept without a poll, ms (the learned call graph: src/incidents/call-graph.ts). */
const STATE_TTL_MS = 86_400_000;
/** Message records read per poll for learning dependencies. */
const MESSAGES_PER_POLL = 200;

export const monitorKeys = (prefix: string, runtime: string) => ({
  firing: `${prefix}monitor:firing:${runtime}`,
  held: `${prefix}monitor:held:${runtime}`,
  fresh: `${prefix}monitor:fresh:${runtime}`,
  lock: `${prefix}monitor:lock:${runtime}`,
  /** Since when the runtime has been unreachable (absent while it answers): src/monitor/reachability.ts. */
  down: `${prefix}monitor:down:${runtime}`,
});

/**
 * A plan's verification resolved the incidents about `agents` at `atMs` while the monitor may still hold
 * their alerts as firing (its window lags behind): once a whole window has passed, the monitor forgets
 * those alerts, so a failure that persists or came back raises a new alert — and reopens the incident —
 * instead of staying silent under an alert the incident no longer counts.
 */
export async function monitorStartsFresh(redis: RedisClient, keyPrefix: string, runtime: string, agents: readonly string[], atMs: number): Promise<void> {
  if (agents.length === 0) return;
  const key = monitorKeys(keyPrefix, runtime).fresh;
  await redis.multi().hset(key, Object.fromEntries(agents.map((a) => [a, String(atMs)]))).pexpire(key, STATE_TTL_MS).exec();
}

export type PollOutcome =
  | { readonly status: 'skipped'; readonly reason: string }
  | {
    readonly status: 'polled'; readonly reachable: boolean; readonly findings: number; readonly raised: number; readonly resolved: number;
    /** Agents whose alerts stay open because they are isolated or degraded (or just released, not judged yet). */
    readonly mitigated: readonly string[];
  };

function reasonOf(err: unknown): string {
  if (isOpsError(err)) return typeof err.details.reason === 'string' ? err.details.reason : err.code;
  return err instanceof Error ? err.message : String(err);
}

export async function pollRuntime(ctx: MonitorContext, runtime: string, token: string): Promise<PollOutcome> {
  const keys = monitorKeys(ctx.keyPrefix, runtime);
  const lockMs = Math.max(ctx.config.monitor.intervalMs * 2, 10_000);
  if ((await ctx.redis.set(keys.lock, token, 'PX', lockMs, 'NX')) !== 'OK') return { status: 'skipped', reason: 'another poll of this runtime is running' };
  try {
    const [[, firingRaw], [, heldRaw], [, marksRaw]] = (await ctx.redis.multi().get(keys.firing).get(keys.held).hgetall(keys.fresh).exec()) as [[unknown, string | null], [unknown, string | null], [unknown, Record<string, string>]];
    let previous = JSON.parse(firingRaw ?? '{}') as FiringSet;
    const marks = Object.fromEntries(Object.entries(marksRaw).map(([agent, at]) => [agent, Number(at)]));
    const previousHeld = JSON.parse(heldRaw ?? '{}') as HeldSet;
    const bridge = ctx.bridgeFor(runtime);
    const nowMs = ctx.now().getTime();
    let findings: Finding[];
    let carry = new Set<string>();
    let reachable = true;
    let unreachableReason: string | undefined;
    let hold: (HoldStep & { kinds: ReadonlyMap<string, string> }) | null = null;
    try {
      const [info, agents, messages] = await Promise.all([
        bridge.runtime(),
        bridge.agents(),
        bridge.messages({ limit: MESSAGES_PER_POLL }).catch(() => ({ messages: [] })),
      ]);
      findings = evaluate(info, agents.agents, thresholdsFor(ctx.config, runtime), nowMs, {
        minSamples: ctx.config.monitor.minSamples, latencyMinSamples: ctx.config.monitor.latencyMinSamples, defaultWindowS: 300,
      });
      const windowS = info.recent_window_s ?? info.stats_window_s ?? 300;
      // Alerts of agents whose incident a verification resolved: forgotten once the window is past it.
      const fresh = freshStarts(marks, previous, nowMs, windowS * 1000);
      previous = forgetAgents(previous, fresh.forget);
      if (fresh.done.length > 0) await ctx.redis.hdel(keys.fresh, ...fresh.done);
      // Isolated or degraded agents keep their alerts (silence is not health) until judged again.
      const kinds = heldAgents(info, agents.agents);
      const handled = new Map(agents.agents.map((a) => [a.type, a.handled_total ?? null] as const));
      hold = { ...holdStep(previousHeld, new Set(kinds.keys()), handled, nowMs, windowS * 1000), kinds };
      carry = alertIdsOf(previous, hold.carry);
      await recordGraphEdges(ctx.redis, ctx.keyPrefix, runtime, [...edgesFromMessages(messages.messages), ...edgesFromOrigins(agents.agents)], nowMs);
    } catch (err) {
      if (!isOpsError(err) || !['RUNTIME_UNREACHABLE', 'RUNTIME_AUTH_FAILED', 'RUNTIME_BAD_RESPONSE'].includes(err.code)) throw err;
      reachable = false;
      unreachableReason = reasonOf(err);
      findings = [unreachableFinding(runtime, unreachableReason)];
      carry = new Set(Object.keys(previous));
    }
    await noteReachability(ctx, keys.down, runtime, { reachable, ...(unreachableReason === undefined ? {} : { reason: unreachableReason }), nowMs, ttlMs: STATE_TTL_MS });
    const step = monitorStep(runtime, findings, previous, nowMs, carry);
    await enqueueAlerts(ctx, step.events);
    await ctx.redis.set(keys.firing, JSON.stringify(step.next), 'PX', STATE_TTL_MS);
    if (hold) {
      await ctx.redis.set(keys.held, JSON.stringify(hold.next), 'PX', STATE_TTL_MS);
      await showHolds(ctx, previous, step, hold);
    }
    const raised = step.events.filter((e) => e.status === 'firing').length;
    const mitigated = hold ? Object.keys(hold.next).sort() : Object.keys(previousHeld).sort();
    if (step.events.length > 0) {
      ctx.logger.info({ runtime, raised, resolved: step.events.length - raised, reachable, mitigated }, 'monitor raised alerts');
    }
    return { status: 'polled', reachable, findings: findings.length, raised, resolved: step.events.length - raised, mitigated };
  } finally {
    // release only our own lock
    await runScript(ctx.redis, 'lockRelease', [keys.lock], { owner: token });
  }
}

/** The incident an alert the monitor raised earlier belongs to (its own scope key leads there), if any. */
async function incidentOf(ctx: MonitorContext, labels: Readonly<Record<string, string>>): Promise<string | null> {
  return ctx.redis.get(ctx.store.openIndexKey(ownScopeOf(labels, ctx.config.alerts.grouping).key));
}

/**
 * A held agent's incident shows it: "mitigating" (by `monitor`) while the agent is isolated or degraded.
 * When the monitor judges it again after the release and the incident still has firing alerts, an
 * incident the monitor itself marked goes back to open (a plan's incidents follow the plan's verification).
 */
async function showHolds(ctx: MonitorContext, previous: FiringSet, step: MonitorStep, hold: HoldStep & { kinds: ReadonlyMap<string, string> }): Promise<void> {
  if (hold.started.length === 0 && hold.ended.length === 0) return;
  const now = ctx.now().getTime();
  const flushCtx = { config: ctx.config.alerts, queues: ctx.queues };
  const move = async (id: string, event: 'mitigate' | 'unmitigate', note: string): Promise<void> => {
    const r = await ctx.store.transition(id, event, 'monitor', now, note);
    if (r.outcome === 'changed') await requestFlush(flushCtx, id, true);
  };
  for (const agent of hold.started) {
    const ids = new Set<string>();
    for (const a of Object.values(previous)) if (a.labels.agent_type === agent) ids.add((await incidentOf(ctx, a.labels)) ?? '');
    ids.delete('');
    const how = hold.kinds.get(agent) ?? 'isolated';
    for (const id of ids) await move(id, 'mitigate', `${agent} is ${how}: silent, not healthy — its alerts stay open until it is released and handles messages without failing`);
  }
  if (hold.ended.length === 0) return;
  const stillFiring = new Set<string>();
  for (const a of Object.values(step.next)) stillFiring.add((await incidentOf(ctx, a.labels)) ?? '');
  for (const agent of hold.ended) {
    for (const a of Object.values(previous)) {
      if (a.labels.agent_type !== agent) continue;
      const id = await incidentOf(ctx, a.labels);
      if (!id || !stillFiring.has(id)) continue;
      const incident = await ctx.store.get(id);
      if (incident?.state === 'mitigating' && incident.mitigatedBy === 'monitor') {
        await move(id, 'unmitigate', `${agent} was released and its incident still has firing alerts`);
      }
    }
  }
}

async function enqueueAlerts(ctx: MonitorContext, events: readonly NormalizedAlert[]): Promise<void> {
  if (events.length === 0) return;
  const now = ctx.now();
  // transitions only (never a storm): ahead of any backlog of alerts from other sources
  const windowS = ctx.config.alerts.dedupeWindowS;
  await ctx.queues.get('alert').addBulk(await turnAlertJobs(ctx.redis, ctx.keyPrefix, alertsJobs(events, now, windowS, ALERTS_AHEAD_PRIORITY), windowS));
}
