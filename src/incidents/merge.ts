/**
 * "Same incident as…": a person merges one incident (the source) into another (the target) of the same
 * channel, so a cascade the grouping split (no topology known) becomes one thread.
 *
 * One atomic Lua script (MERGE_INCIDENTS) moves everything that leads alerts to the source over to the target:
 * its alerts (a fingerprint both hold keeps the firing copy), its firing set, its agents, its open-index
 * keys (so that later alerts of the source's scope join the target) and its Alertmanager group-index
 * entries (reconciliation follows the alerts). The target's severity, start and counts follow. The source
 * is closed: resolved by the person, `merged_into` the target, no longer active; its thread says where to go.
 *
 * Refused (nothing changes): the same incident, an unknown one, a resolved one, or another channel.
 * Who may merge: anyone who can use the root's buttons (the channel's members), like Resolve; every merge
 * and every refusal is in the audit log (`incident.merged`, `incident.merge_refused`).
 */
import type { Redis } from 'ioredis';
import { shortHash } from './fingerprint.js';

/**
 * KEYS: 1 source hash, 2 target hash, 3 the active set, 4… the group-index keys of the source's alerts.
 * ARGV: 1 source id, 2 target id, 3 by, 4 now ms, 5 timeline max, 6 retention ms, 7 target root ts or ''.
 * Returns {'merged', moved alerts, target firing, target total} or {'refused', reason}.
 */
export const MERGE_INCIDENTS = `
local s, d, active = KEYS[1], KEYS[2], KEYS[3]
local src, dst, by, now, max, retention = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
if src == dst then return {'refused', 'same'} end
local s_state = redis.call('HGET', s, 'state')
local d_state = redis.call('HGET', d, 'state')
if not s_state or not d_state then return {'refused', 'missing'} end
if s_state == 'resolved' or d_state == 'resolved' then return {'refused', 'resolved'} end
if redis.call('HGET', s, 'channel') ~= redis.call('HGET', d, 'channel') then return {'refused', 'channel'} end

local moved = 0
local alerts = redis.call('HGETALL', s .. ':alerts')
for i = 1, #alerts, 2 do
  local fp, raw = alerts[i], alerts[i + 1]
  local cur = redis.call('HGET', d .. ':alerts', fp)
  local take = not cur
  if cur then take = cjson.decode(cur).r ~= 1 and cjson.decode(raw).r == 1 end
  if take then
    redis.call('HSET', d .. ':alerts', fp, raw)
    local seen = redis.call('HGET', s .. ':seen', fp)
    if seen then redis.call('HSET', d .. ':seen', fp, seen) else redis.call('HDEL', d .. ':seen', fp) end
  end
  moved = moved + 1
end
for _, fp in ipairs(redis.call('SMEMBERS', s .. ':firing')) do redis.call('SADD', d .. ':firing', fp) end
for _, a in ipairs(redis.call('SMEMBERS', s .. ':agents')) do redis.call('SADD', d .. ':agents', a) end
for _, k in ipairs(redis.call('SMEMBERS', s .. ':keys')) do
  redis.call('SET', k, dst)
  redis.call('SADD', d .. ':keys', k)
end
local prefix = src .. '|'
for i = 4, #KEYS do
  for _, m in ipairs(redis.call('SMEMBERS', KEYS[i])) do
    if string.sub(m, 1, #prefix) == prefix then
      redis.call('SREM', KEYS[i], m)
      redis.call('SADD', KEYS[i], dst .. '|' .. string.sub(m, #prefix + 1))
    end
  end
end

-- the target: severity, start and counts follow what joined
local s_rank = tonumber(redis.call('HGET', s, 'severity_rank') or '0')
if s_rank > tonumber(redis.call('HGET', d, 'severity_rank') or '0') then
  redis.call('HSET', d, 'severity', redis.call('HGET', s, 'severity'), 'severity_rank', s_rank)
end
local s_started = tonumber(redis.call('HGET', s, 'started_at') or '0')
local d_started = tonumber(redis.call('HGET', d, 'started_at') or '0')
if s_started > 0 and (d_started == 0 or s_started < d_started) then redis.call('HSET', d, 'started_at', s_started) end
local firing = redis.call('SCARD', d .. ':firing')
local total = redis.call('HLEN', d .. ':alerts')
local dv = redis.call('HINCRBY', d, 'version', 1)
redis.call('HSET', d, 'alerts', total, 'firing', firing, 'updated_at', now)
redis.call('RPUSH', d .. ':timeline', cjson.encode({v = dv, at = now, k = 'merged', from = src, by = by}))
redis.call('LTRIM', d .. ':timeline', -max, -1)

-- the source: closed as merged; its keys now lead to the target, so they are no longer its own
local sv = redis.call('HINCRBY', s, 'version', 1)
redis.call('HSET', s, 'state', 'resolved', 'resolved_at', now, 'resolved_by', by, 'merged_into', dst, 'merged_into_ts', ARGV[7],
  'firing', 0, 'updated_at', now)
redis.call('DEL', s .. ':keys', s .. ':firing', s .. ':seen', s .. ':alerts')
redis.call('ZREM', active, src)
redis.call('RPUSH', s .. ':timeline', cjson.encode({v = sv, at = now, k = 'state', from = s_state, to = 'resolved', by = by,
  note = 'merged into ' .. dst .. ': the same incident'}))
redis.call('LTRIM', s .. ':timeline', -max, -1)
for _, k in ipairs({s, s .. ':agents', s .. ':timeline'}) do redis.call('PEXPIRE', k, retention) end
return {'merged', moved, firing, total}
`;

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

/** Runs MERGE_INCIDENTS (the source's group-index keys are read first, from its alerts' group keys). */
export async function mergeIncidents(redis: Redis, opts: MergeStoreOptions, req: MergeRequest): Promise<MergeOutcome> {
  const p = opts.keyPrefix;
  const source = `${p}inc:${req.sourceId}`;
  const groups = new Set<string>();
  for (const json of await redis.hvals(`${source}:alerts`)) {
    try {
      const d = JSON.parse((JSON.parse(json) as { d: string }).d) as { groupKey?: string | null };
      if (d.groupKey) groups.add(`${p}inc:group:${shortHash(d.groupKey)}`);
    } catch { /* an unreadable alert has no group to move */ }
  }
  const reply = (await redis.eval(MERGE_INCIDENTS, 3 + groups.size, source, `${p}inc:${req.targetId}`, `${p}inc:active`, ...groups,
    req.sourceId, req.targetId, req.by, String(req.nowMs), String(opts.timelineMax), String(opts.retentionMs), req.targetRootTs ?? '')) as (string | number)[];
  if (reply[0] === 'merged') return { outcome: 'merged', moved: Number(reply[1]), firing: Number(reply[2]), total: Number(reply[3]) };
  return { outcome: 'refused', reason: String(reply[1]) as 'same' | 'missing' | 'resolved' | 'channel' };
}
