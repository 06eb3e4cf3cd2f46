/**
 * The learned call graph of each runtime, for cascade grouping (src/incidents/grouping.ts): which agent
 * types call which, kept in Redis so that it is ready for the first alert after any start.
 *
 * Where edges come from:
 * - the bridges: at a worker's start (and at the first alert about a runtime this process has not read
 *   yet), `GET /v1/agents` (each agent's `failure_origins`: the agents its failures come from) and
 *   `GET /v1/messages` (who sent to whom; for an agent the newest messages do not show, its own);
 * - the monitor's every poll (the message log);
 * - alerts that name their caller or upstream (`ALERT_TOPOLOGY_LABELS`, see `topologyEdges`).
 *
 * Redis: `<prefix>inc:graph:<hash of the runtime>`, a sorted set `caller>callee` → when last seen (ms).
 * Bounded: edges not seen for `GRAPH_TTL_MS` are dropped, at most `GRAPH_MAX_EDGES` are kept (the least
 * recently seen go first), and the key itself expires `GRAPH_TTL_MS` after its last write. Under the
 * hash-tagged prefix, like every key of the bot (Redis Cluster: one slot).
 */
import type { RedisClient } from '../redis/connect.js';
import type { Logger } from '../log.js';
import type { BridgeClient } from '../runtime/client.js';
import { isOpsError } from '../errors.js';
import { LruMap } from '../lru.js';
import { edgesFromMessages, edgesFromText, edgeText } from '../monitor/edges.js';
import { labelValue, type NormalizedAlert } from './alert.js';
import type { AgentEdge, GroupingRules } from './grouping.js';
import { shortHash } from './fingerprint.js';

/** An edge not seen for this long is forgotten (a week: a weekend's quiet does not lose the graph), ms. */
export const GRAPH_TTL_MS = 7 * 86_400_000;
/** Most edges kept per runtime. */
export const GRAPH_MAX_EDGES = 1_000;
/** Message records read from a bridge's log in one refresh. */
const REFRESH_MESSAGES = 1_000;
/** Agents not seen in the newest messages whose own messages are read in one refresh (at most). */
const REFRESH_AGENTS_MAX = 20;
const REFRESH_AGENT_MESSAGES = 100;
/** How long this process reuses a runtime's graph read from Redis, ms. */
const CACHE_MS = 10_000;
/** Most runtimes whose graph is cached: the runtime comes from an alert's label, so its key space is unbounded. */
export const CACHE_MAX_RUNTIMES = 256;
/** Longest wait of an alert for a refresh from the bridge already under way, ms. */
const REFRESH_WAIT_MS = 3_000;
/** After a failed read of a bridge, alerts do not wait for another one for this long, ms. */
const REFRESH_RETRY_MS = 60_000;

/** A name of an agent type as the grouping accepts it. */
const AGENT_NAME = /^[\w\-.:/]{1,200}$/;

export function graphKey(keyPrefix: string, runtime: string): string {
  return `${keyPrefix}inc:graph:${shortHash(runtime, 16)}`;
}

/**
 * Edges an alert carries itself: each label of `topologyLabels` present on it names the agent type(s)
 * (comma-separated) its own agent calls or is called by — `upstream`, `caller`, `depends_on`… Direction
 * does not matter for grouping; each value is linked to the alert's agent.
 */
export function topologyEdges(labels: Readonly<Record<string, string>>, agent: string | null, topologyLabels: readonly string[]): AgentEdge[] {
  if (agent === null) return [];
  const out: AgentEdge[] = [];
  for (const name of topologyLabels) {
    const v = labels[name];
    if (v === undefined || v === '') continue;
    for (const raw of v.split(',')) {
      const other = raw.trim();
      if (other !== '' && other !== agent && AGENT_NAME.test(other)) out.push([agent, other]);
    }
  }
  return out;
}

/**
 * The edges a batch of alerts names through topology labels, by runtime ('' for alerts naming none): every
 * alert of the batch is grouped with all of them, so the order of a notification's alerts does not matter.
 */
export function labelledEdges(alerts: readonly NormalizedAlert[], rules: GroupingRules): Map<string, AgentEdge[]> {
  const out = new Map<string, AgentEdge[]>();
  if (rules.topologyLabels.length === 0) return out;
  for (const a of alerts) {
    const agent = labelValue(a.labels, rules.agentLabels);
    const edges = topologyEdges(a.labels, agent, rules.topologyLabels);
    if (edges.length === 0) continue;
    const runtime = labelValue(a.labels, rules.runtimeLabels) ?? '';
    const list = out.get(runtime) ?? [];
    list.push(...edges);
    out.set(runtime, list);
  }
  return out;
}

/** Edges from a bridge's agent list: each agent to the agents its failures come from. */
export function edgesFromOrigins(agents: readonly { type: string; failure_origins?: readonly string[] | null | undefined }[]): AgentEdge[] {
  const out: AgentEdge[] = [];
  for (const a of agents) for (const o of a.failure_origins ?? []) if (o !== a.type && o !== '') out.push([a.type, o]);
  return out;
}

/** Remembers `edges` of `runtime` as seen at `nowMs`: one atomic MULTI, bounded in age and number. */
export async function recordGraphEdges(redis: RedisClient, keyPrefix: string, runtime: string, edges: readonly AgentEdge[], nowMs: number): Promise<void> {
  if (edges.length === 0) return;
  const key = graphKey(keyPrefix, runtime);
  const members = [...new Set(edges.map(edgeText))].flatMap((m) => [String(nowMs), m]);
  await redis.multi()
    .zadd(key, ...members)
    .zremrangebyscore(key, '-inf', `(${nowMs - GRAPH_TTL_MS}`)
    .zremrangebyrank(key, 0, -(GRAPH_MAX_EDGES + 1))
    .pexpire(key, GRAPH_TTL_MS)
    .exec();
}

export interface CallGraphDeps {
  readonly redis: RedisClient;
  /** Key prefix with trailing ':' (hash-tagged). */
  readonly keyPrefix: string;
  readonly logger: Logger;
  /** Configured runtimes (refreshed from their bridges). */
  readonly runtimes: readonly string[];
  /** The bridge client of a configured runtime. */
  readonly bridgeFor?: ((runtime: string) => BridgeClient) | undefined;
  now(): Date;
}

/** The learned call graphs, as one worker process reads and writes them. */
export class CallGraph {
  private readonly cache = new LruMap<string, { at: number; edges: readonly AgentEdge[] }>(CACHE_MAX_RUNTIMES);
  private readonly refreshing = new Map<string, Promise<void>>();
  private readonly refreshed = new Set<string>();
  private readonly failedAt = new Map<string, number>();

  constructor(private readonly deps: CallGraphDeps) {}

  /** Remembers `edges` of `runtime` as seen now (bounded; see the module's comment). */
  async record(runtime: string, edges: readonly AgentEdge[]): Promise<void> {
    await recordGraphEdges(this.deps.redis, this.deps.keyPrefix, runtime, edges, this.deps.now().getTime());
    this.cache.delete(runtime);
  }

  /** The learned edges of `runtime` as stored (no refresh). */
  async stored(runtime: string): Promise<AgentEdge[]> {
    const nowMs = this.deps.now().getTime();
    const members = await this.deps.redis.zrangebyscore(graphKey(this.deps.keyPrefix, runtime), nowMs - GRAPH_TTL_MS, '+inf');
    return edgesFromText(members);
  }

  /**
   * The edges grouping uses for an alert about `runtime`: the stored graph (cached briefly). A configured
   * runtime this process has not read from its bridge yet is read first (waiting at most a few seconds).
   */
  async edges(runtime: string): Promise<readonly AgentEdge[]> {
    const failed = this.failedAt.get(runtime);
    const retry = failed === undefined || Date.now() - failed >= REFRESH_RETRY_MS;
    if (this.deps.runtimes.includes(runtime) && !this.refreshed.has(runtime) && retry) {
      await Promise.race([this.refresh(runtime), new Promise((r) => setTimeout(r, REFRESH_WAIT_MS).unref())]);
    }
    const nowMs = Date.now();
    const hit = this.cache.get(runtime);
    if (hit && nowMs - hit.at < CACHE_MS) return hit.edges;
    const edges = await this.stored(runtime);
    this.cache.set(runtime, { at: nowMs, edges });
    return edges;
  }

  /** Reads the graph of every configured runtime from its bridge (at start; failures are logged, not thrown). */
  async refreshAll(): Promise<void> {
    await Promise.all(this.deps.runtimes.map((r) => this.refresh(r)));
  }

  /** Reads `runtime`'s graph from its bridge once per process (concurrent callers share one read). */
  refresh(runtime: string): Promise<void> {
    const running = this.refreshing.get(runtime);
    if (running) return running;
    const p = this.readBridge(runtime).finally(() => this.refreshing.delete(runtime));
    this.refreshing.set(runtime, p);
    return p;
  }

  private async readBridge(runtime: string): Promise<void> {
    const bridgeFor = this.deps.bridgeFor;
    if (!bridgeFor || !this.deps.runtimes.includes(runtime)) return;
    try {
      const bridge = bridgeFor(runtime);
      const [agents, messages] = await Promise.all([bridge.agents(), bridge.messages({ limit: REFRESH_MESSAGES })]);
      const edges = [...edgesFromOrigins(agents.agents), ...edgesFromMessages(messages.messages)];
      const linked = new Set(edges.flat());
      const unseen = agents.agents.map((a) => a.type).filter((t) => !linked.has(t)).slice(0, REFRESH_AGENTS_MAX);
      for (const agent of unseen) {
        const own = await bridge.messages({ limit: REFRESH_AGENT_MESSAGES, agent }).catch(() => ({ messages: [] }));
        edges.push(...edgesFromMessages(own.messages));
      }
      await this.record(runtime, edges);
      this.refreshed.add(runtime);
      this.failedAt.delete(runtime);
      this.deps.logger.info({ runtime, edges: new Set(edges.map(edgeText)).size }, 'call graph read from the bridge');
    } catch (err) {
      // the graph kept in Redis stands in; an alert about this runtime asks again a minute later
      this.failedAt.set(runtime, Date.now());
      const code = isOpsError(err) ? err.code : undefined;
      this.deps.logger.info({ runtime, code, reason: err instanceof Error ? err.message : String(err) }, 'call graph not read from the bridge; using the one kept in Redis');
    }
  }
}
