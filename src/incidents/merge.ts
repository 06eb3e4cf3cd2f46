/**
 * "Same incident as…": a person merges one incident (the source) into another (the target) of the same
 * channel, so a cascade the grouping split (no topology known) becomes one thread.
 *
 * One atomic Lua script (src/redis/scripts/incident-merge.lua) moves everything that leads alerts to the source over to the target:
 * its alerts (a fingerprint both hold keeps the firing copy), its firing set, its agents, its open-index
 * keys (so that later alerts of the source's scope join the target) and its Alertmanager group-index
 * entries (reconciliation follows the alerts). The target's severity, start and counts follow. The source
 * is closed: resolved by the person, `merged_into` the target, no longer active; its thread says where to go.
 *
 * Refused (nothing changes): the same incident, an unknown one, a resolved one, or another channel.
 * Who may merge: anyone who can use the root's buttons (the channel's members), like Resolve; every merge
 * and every refusal is in the audit log (`incident.merged`, `incident.merge_refused`).
 */
import type { RedisClient } from '../redis/connect.js';
import { runScript } from '../redis/scripts.js';
import { shortHash } from './fingerprint.js';
import { incidentKeys } from './store.js';

export type MergeOutcome =
  | { readonly outcome: 'merged'; readonly moved: number; readonly firing: number; readonly total: number }
  | { readonly outcome: 'refused'; readonly reason: 'same' | 'missing' | 'resolved' | 'channel' };

export interface MergeRequest {
  readonly sourceId: string;
  readonly targetId: string;
  /** Slack user id of the person merging. */
  readonly by: string;
  readonly nowMs: number;
  /** The target's root message ts (the source's root links to it), if posted. */
  readonly targetRootTs: string | null;
}

export interface MergeStoreOptions {
  /** Key prefix with trailing ':' (hash-tagged). */
  readonly keyPrefix: string;
  readonly timelineMax: number;
  readonly retentionMs: number;
}

/** Most calls while the source's index keys keep changing under the merge (each call adds what was missing). */
const MERGE_ATTEMPTS = 6;

/**
 * Runs incident-merge.lua. Read first: the source's group-index keys (from its alerts' group keys) and its
 * open-index keys, all passed in KEYS.
 */
export async function mergeIncidents(redis: RedisClient, opts: MergeStoreOptions, req: MergeRequest): Promise<MergeOutcome> {
  const p = opts.keyPrefix;
  const source = `${p}inc:${req.sourceId}`;
  const groups = new Set<string>();
  const [alertsRead, keysRead] = (await redis.multi().hvals(`${source}:alerts`).smembers(`${source}:keys`).exec()) ?? [];
  let held = (keysRead?.[1] as string[] | undefined) ?? [];
  for (const json of (alertsRead?.[1] as string[] | undefined) ?? []) {
    try {
      const d = JSON.parse((JSON.parse(json) as { d: string }).d) as { groupKey?: string | null };
      if (d.groupKey) groups.add(`${p}inc:group:${shortHash(d.groupKey)}`);
    } catch { /* an unreadable alert has no group to move */ }
  }
  let reply: (string | number)[] = [];
  for (let attempt = 1; attempt <= MERGE_ATTEMPTS; attempt += 1) {
    reply = await runScript(redis, 'incidentMerge',
      [...incidentKeys(p, req.sourceId), ...incidentKeys(p, req.targetId), `${p}inc:active`, ...groups, ...held], {
        src: req.sourceId, dst: req.targetId, by: req.by, now: req.nowMs, timelineMax: opts.timelineMax,
        retentionMs: opts.retentionMs, rootTs: req.targetRootTs ?? '', groups: groups.size,
      });
    if (reply[0] !== 'keys') break;
    held = [...new Set([...held, ...reply.slice(1).map(String)])];
  }
  if (reply[0] === 'keys') throw new Error(`incident merge of ${req.sourceId}: its index keys kept changing`);
  if (reply[0] === 'merged') return { outcome: 'merged', moved: Number(reply[1]), firing: Number(reply[2]), total: Number(reply[3]) };
  return { outcome: 'refused', reason: String(reply[1]) as 'same' | 'missing' | 'resolved' | 'channel' };
}
