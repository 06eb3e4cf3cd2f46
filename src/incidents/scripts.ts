/**
 * Lua scripts of the incident store. Each runs atomically in Redis, so concurrent workers applying alerts
 * of one incident can never open two incidents (two threads) for it, lose a count, or race a button.
 *
 * Keys (P = key prefix, hash-tagged so that every key shares one Redis Cluster slot):
 *   P inc:open:<scope key>   → incident id (no TTL while active; the reopen window once resolved)
 *   P inc:<id>               hash: the incident's fields (started_at: earliest start of its firing alerts; title_fp: the
 *                            fingerprint of the alert its title comes from)
 *   P inc:<id>:alerts        hash: fingerprint → {s: start ms, r: 1 firing / 2 resolved, e: end ms, d: detail,
 *                            c: content hash, p: 1 when resolved by a person or plan}
 *   P inc:<id>:seen          hash: fingerprint → when the newest event applied to it was received (ms); apart
 *                            from the alert so that a resend updates a number, not the whole alert
 *   P inc:<id>:firing        set of firing fingerprints
 *   P inc:<id>:keys          set of the open-index keys leading here
 *   P inc:<id>:agents        set of agent types involved
 *   P inc:<id>:timeline      list of JSON entries {v, at, k, ...}, capped
 *   P inc:active             sorted set: active incident id → opened at (ms)
 *   P inc:group:<hash>       set of "<id>|<fingerprint>" firing from one Alertmanager group
 *
 * The transition table (src/incidents/state.ts) is compiled into the scripts as a Lua table: one source
 * of truth for TS and Lua.
 */
import { TRANSITIONS } from './state.js';

/** `TRANSITIONS` as a Lua table constructor. */
function luaTable(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => `[${JSON.stringify(k)}] = ${luaTable(v)}`);
  return `{${entries.join(', ')}}`;
}

const TRANSITION_TABLE = luaTable(TRANSITIONS);

/** Shared Lua helpers, prepended to the scripts that use them. */
const HELPERS = `
local function persist_all(h)
  for _, k in ipairs({h, h .. ':alerts', h .. ':seen', h .. ':firing', h .. ':keys', h .. ':agents', h .. ':timeline'}) do
    redis.call('PERSIST', k)
  end
  for _, k in ipairs(redis.call('SMEMBERS', h .. ':keys')) do redis.call('PERSIST', k) end
end
local function expire_all(h, reopen_ms, retention_ms)
  for _, k in ipairs({h, h .. ':alerts', h .. ':seen', h .. ':firing', h .. ':keys', h .. ':agents', h .. ':timeline'}) do
    redis.call('PEXPIRE', k, retention_ms)
  end
  for _, k in ipairs(redis.call('SMEMBERS', h .. ':keys')) do redis.call('PEXPIRE', k, reopen_ms) end
end
local function push_timeline(h, entry, max)
  redis.call('RPUSH', h .. ':timeline', cjson.encode(entry))
  redis.call('LTRIM', h .. ':timeline', -max, -1)
end
local function is_move(outcome)
  return outcome ~= nil and outcome ~= 'same' and outcome ~= 'invalid'
end
`;

/** Values per alert in APPLY_ALERTS' arguments and in its reply. */
const APPLY_ARGS = 15;
export const APPLY_REPLY = 10;

/**
 * Applies a batch of alert events (one Alertmanager notification, or part of a big one), one after the
 * other in one atomic call: an incident opened by an alert is joined by the later alerts of the batch.
 *
 * The merge follows Alertmanager's own semantics. An alert is identified by its fingerprint alone (its
 * labels; a generic source's `id`), never by its `startsAt`: a sender may resolve with another start than it
 * fired with, and Alertmanager merges and forwards what it holds. Each notification is its group's whole
 * current state, so what the bot received later is newer, whatever start it carries ("received": the
 * `received_at` of the job that carried it).
 *
 *   #    held                          event                                              effect
 *   M1   nothing                       firing                                             fires: opens or joins an incident
 *   M2   nothing                       resolved                                           kept as resolved if its incident exists, else nothing
 *   M3   firing                        firing, same labels and annotations, any start     nothing to show: a resend (its receipt time and
 *                                                                                         the later start are kept)
 *   M4   firing                        firing, labels or annotations changed, received    updated: a coalesced thread line; the root's title
 *                                      no earlier than the held one                       follows when this alert named the incident
 *   M5   firing                        firing, changed, received before the held one      nothing: a late copy
 *   M6   firing                        resolved, received no earlier than the firing,     resolves that episode; the last firing alert
 *                                      whatever its startsAt                              resolves the incident
 *   M7   firing                        resolved, received before the held firing          nothing: a late resolution of an earlier episode
 *   M8   resolved                      resolved                                           nothing: a resend
 *   M9   resolved by the source        firing, received after that resolution             a new episode: fires again (reopens a resolved
 *                                                                                         incident within the reopen window)
 *   M10  resolved by the source        firing, received before that resolution            nothing: a late copy
 *   M11  resolved by a person or plan  firing with a later start                          a new episode
 *   M12  resolved by a person or plan  firing with the same or an earlier start           nothing: that episode was resolved early
 *   M13  resolved by a person or plan  resolved                                           remembered: M9 and M10 apply from then on
 *
 * A source without start times (generic alerts without `startsAt`): the start is when the bot first saw the
 * alert, and a firing received after any resolution is a new episode. Where a receipt time is missing (a
 * caller that gives none, or an alert held from before they were kept), the event counts as the latest and
 * a resolved alert follows M11/M12.
 *
 * ARGV: 1 prefix, 2 now ms, 3 reopen window ms, 4 timeline max, 5 retention ms, 6 number of alerts n, then
 *       n blocks of 15 values: 1 number of its keys, 2 new id, 3 fingerprint, 4 status,
 *       5 start ms or '', 6 end ms or '', 7 severity, 8 severity rank, 9 detail JSON,
 *       10 creation JSON {key,title,runtime,agent,channel,source}, 11 agent or '', 12 group index key or '',
 *       13 timeline line, 14 content hash (labels and annotations), 15 received ms or ''
 * KEYS: per alert in order, the open-index keys of its candidate scope keys, own key first.
 * Returns 10 values per alert: {id, created, changed, reopened, resolved_now, state, firing,
 * total, version, flush}; id '' when a resolution arrives for no known incident (nothing to do). `flush`
 * is 1 when this change is the first since the thread was last flushed (the caller then asks for a flush;
 * later changes ride along).
 */
export const APPLY_ALERTS = `${HELPERS}
local P = ARGV[1]
local now = tonumber(ARGV[2])
local reopen_ms = tonumber(ARGV[3])
local max = tonumber(ARGV[4])
local retention_ms = tonumber(ARGV[5])
local T = ${TRANSITION_TABLE}

-- What an alert event does to the alert held under its fingerprint (the merge table above): 'fire' (first
-- seen, or a new episode), 'record' (a resolution of an alert never seen firing), 'resolve', 'update' (its
-- labels or annotations changed), 'adopt' (nothing to show; a held field is brought up to date) or false.
local function merge(prev, status, s_in, content, received)
  if not prev then
    if status == 'firing' then return 'fire' end
    return 'record'
  end
  local u = prev.u or 0
  -- an event without a receipt time counts as the latest
  local not_older = (not received) or received >= u
  if prev.r == 1 then
    if status == 'resolved' then
      if not_older then return 'resolve' end
      return false
    end
    if prev.c and prev.c ~= content then
      if not_older then return 'update' end
      return false
    end
    if not prev.c or (received and received > u) or (s_in and s_in > prev.s) then return 'adopt' end
    return false
  end
  if status == 'resolved' then
    -- the source resolves what a person resolved early: remembered, so that M9/M10 apply from then on
    if received and (prev.p == 1 or not prev.u) and received >= u then return 'adopt' end
    return false
  end
  if received and prev.u and prev.p ~= 1 then
    -- the source resolved it: what it sent later is newer, whatever its start; what came before, a late copy
    if received > u then return 'fire' end
    return false
  end
  -- resolved by a person or a plan (the source never resolved it), or no receipt times to compare: only a
  -- later start is a new episode; a source without start times fires anew once received after
  if s_in then
    if s_in > prev.s then return 'fire' end
    return false
  end
  if (not received) or received > u then return 'fire' end
  return false
end

local function apply_one(keys, base)
  local function A(i) return ARGV[base + i] end
  local fp = A(3)
  local status = A(4)

  local id = false
  local found = 0
  for i = 1, #keys do
    local v = redis.call('GET', keys[i])
    if v and redis.call('EXISTS', P .. 'inc:' .. v) == 1 then id = v; found = i; break end
  end

  local created = 0
  if not id then
    if status ~= 'firing' then return {'', 0, 0, 0, 0, '', 0, 0, 0, 0} end
    id = A(2)
    local c = cjson.decode(A(10))
    redis.call('HSET', P .. 'inc:' .. id,
      'id', id, 'key', c.key, 'title', c.title, 'runtime', c.runtime, 'agent', c.agent, 'source', c.source,
      'severity', A(7), 'severity_rank', A(8), 'state', 'open', 'channel', c.channel,
      'opened_at', now, 'updated_at', now, 'alerts', 0, 'firing', 0, 'version', 0, 'flushed', 0, 'reopened', 0)
    redis.call('ZADD', P .. 'inc:active', now, id)
    created = 1
  end
  local h = P .. 'inc:' .. id
  local state = redis.call('HGET', h, 'state')

  if found ~= 1 then
    redis.call('SET', keys[1], id)
    redis.call('SADD', h .. ':keys', keys[1])
    if state == 'resolved' then redis.call('PEXPIRE', keys[1], reopen_ms) end
  end
  if A(11) ~= '' then redis.call('SADD', h .. ':agents', A(11)) end

  -- merge the alert by its fingerprint (the merge table above)
  local rank = 1
  if status == 'resolved' then rank = 2 end
  local s_in = tonumber(A(5))
  local content = A(14)
  local received = tonumber(A(15))
  local prev_raw = redis.call('HGET', h .. ':alerts', fp)
  local prev = false
  if prev_raw then
    prev = cjson.decode(prev_raw)
    prev.u = tonumber(redis.call('HGET', h .. ':seen', fp))
  end
  local kind = merge(prev, status, s_in, content, received)
  local record
  if kind == 'fire' or kind == 'record' then
    local s = s_in
    if not s then s = now end
    record = {s = s, r = rank, e = tonumber(A(6)), d = A(9), c = content}
  elseif kind == 'resolve' then
    local s = prev.s
    if s_in and s_in > s then s = s_in end
    record = {s = s, r = 2, e = tonumber(A(6)), d = A(9), c = content}
  elseif kind == 'update' then
    record = {s = math.max(prev.s, s_in or prev.s), r = 1, d = A(9), c = content}
  elseif kind == 'adopt' then
    -- a resend still firing as of its receipt: a resolution received before it is older (M7)
    local rewrite = status == 'resolved' or not prev.c or (s_in and s_in > prev.s)
    if rewrite then
      prev.u = nil
      prev.p = nil
      prev.s = math.max(prev.s, s_in or prev.s)
      if not prev.c then prev.c = content end
      redis.call('HSET', h .. ':alerts', fp, cjson.encode(prev))
    end
  end
  if received and (record or kind == 'adopt') then
    redis.call('HSET', h .. ':seen', fp, received)
  elseif record then
    redis.call('HDEL', h .. ':seen', fp)
  end
  if not record then
    return {id, created, 0, 0, 0, state, redis.call('SCARD', h .. ':firing'), redis.call('HLEN', h .. ':alerts'),
      tonumber(redis.call('HGET', h, 'version')), 0}
  end
  local s = record.s
  redis.call('HSET', h .. ':alerts', fp, cjson.encode(record))
  if created == 1 then redis.call('HSET', h, 'title_fp', fp) end
  if kind == 'update' and redis.call('HGET', h, 'title_fp') == fp then
    redis.call('HSET', h, 'title', cjson.decode(A(10)).title)
  end

  local reopened = 0
  local resolved_now = 0
  if status == 'firing' then
    redis.call('SADD', h .. ':firing', fp)
    local started = tonumber(redis.call('HGET', h, 'started_at') or '0')
    if started == 0 or s < started then redis.call('HSET', h, 'started_at', s) end
    local cur = tonumber(redis.call('HGET', h, 'severity_rank') or '0')
    if tonumber(A(8)) > cur then redis.call('HSET', h, 'severity', A(7), 'severity_rank', A(8)) end
    local nxt = T.refire[state]
    if is_move(nxt) then
      state = nxt
      reopened = 1
      redis.call('HSET', h, 'state', state)
      redis.call('HDEL', h, 'resolved_at', 'resolved_by')
      redis.call('HINCRBY', h, 'reopened', 1)
      redis.call('ZADD', P .. 'inc:active', redis.call('HGET', h, 'opened_at'), id)
      persist_all(h)
    end
  else
    redis.call('SREM', h .. ':firing', fp)
  end
  local firing = redis.call('SCARD', h .. ':firing')
  local total = redis.call('HLEN', h .. ':alerts')
  local version = redis.call('HINCRBY', h, 'version', 1)
  redis.call('HSET', h, 'alerts', total, 'firing', firing, 'updated_at', now, 'last_alert_at', now)
  if reopened == 1 then push_timeline(h, {v = version, at = now, k = 'reopened'}, max) end
  local entry = status
  if kind == 'update' then entry = 'updated' end
  push_timeline(h, {v = version, at = now, k = entry, fp = fp, t = A(13)}, max)

  if status == 'resolved' and firing == 0 then
    local nxt = T.alertsResolved[state]
    if is_move(nxt) then
      state = nxt
      resolved_now = 1
      redis.call('HSET', h, 'state', state, 'resolved_at', now, 'resolved_by', '')
      redis.call('ZREM', P .. 'inc:active', id)
      push_timeline(h, {v = version, at = now, k = 'state', to = state, by = ''}, max)
      expire_all(h, reopen_ms, retention_ms)
    end
  end

  local group = A(12)
  if group ~= '' then
    if status == 'firing' then redis.call('SADD', group, id .. '|' .. fp) else redis.call('SREM', group, id .. '|' .. fp) end
    redis.call('PEXPIRE', group, retention_ms)
  end
  local flush = redis.call('HSETNX', h, 'flush_requested', '1')
  return {id, created, 1, reopened, resolved_now, state, firing, total, version, flush}
end

local out = {}
local nkey = 0
for i = 0, tonumber(ARGV[6]) - 1 do
  local base = 6 + i * ${APPLY_ARGS}
  local keys = {}
  for j = 1, tonumber(ARGV[base + 1]) do keys[j] = KEYS[nkey + j] end
  nkey = nkey + #keys
  for _, v in ipairs(apply_one(keys, base)) do out[#out + 1] = v end
end
return out
`;

/**
 * A state change asked for by a person (or a response plan).
 * KEYS[1]: the incident hash.
 * ARGV: 1 prefix, 2 id, 3 event, 4 by, 5 now ms, 6 reopen window ms, 7 retention ms, 8 timeline max, 9 note
 * Returns {outcome ('changed' | 'same' | 'invalid' | 'missing'), state, version}.
 */
export const TRANSITION = `${HELPERS}
local h = KEYS[1]
local P = ARGV[1]
local id = ARGV[2]
local event = ARGV[3]
local by = ARGV[4]
local now = tonumber(ARGV[5])
local T = ${TRANSITION_TABLE}
local state = redis.call('HGET', h, 'state')
if not state then return {'missing', '', 0} end
local outcome = T[event][state]
if outcome == 'invalid' or outcome == 'same' then
  return {outcome, state, tonumber(redis.call('HGET', h, 'version'))}
end
local version = redis.call('HINCRBY', h, 'version', 1)
redis.call('HSET', h, 'state', outcome, 'updated_at', now)
if event == 'acknowledge' then redis.call('HSET', h, 'acked_by', by, 'acked_at', now) end
if event == 'mitigate' then redis.call('HSET', h, 'mitigated_by', by, 'mitigated_at', now) end
if event == 'unmitigate' then redis.call('HDEL', h, 'mitigated_by', 'mitigated_at') end
if outcome == 'resolved' then
  -- a person resolved it: the alerts still firing count as resolved in their current episode, so the
  -- resends of that episode change nothing; a new episode (later start) reopens within the window (M11, M12)
  for _, fp in ipairs(redis.call('SMEMBERS', h .. ':firing')) do
    local raw = redis.call('HGET', h .. ':alerts', fp)
    if raw then
      local a = cjson.decode(raw)
      a.r = 2
      a.e = now
      a.p = 1
      redis.call('HSET', h .. ':alerts', fp, cjson.encode(a))
      redis.call('HSET', h .. ':seen', fp, now)
    end
  end
  redis.call('DEL', h .. ':firing')
  redis.call('HSET', h, 'firing', 0, 'resolved_at', now, 'resolved_by', by)
  redis.call('ZREM', P .. 'inc:active', id)
  expire_all(h, tonumber(ARGV[6]), tonumber(ARGV[7]))
end
push_timeline(h, {v = version, at = now, k = 'state', from = state, to = outcome, by = by, note = ARGV[9]}, tonumber(ARGV[8]))
return {'changed', outcome, version}
`;

/**
 * Silences (or unsilences with until = 0) an incident's thread updates.
 * KEYS[1]: the incident hash. ARGV: 1 until ms, 2 by, 3 now ms, 4 timeline max.
 * Returns {outcome ('changed' | 'missing'), version}.
 */
export const SILENCE = `${HELPERS}
local h = KEYS[1]
if redis.call('EXISTS', h) == 0 then return {'missing', 0} end
local version = redis.call('HINCRBY', h, 'version', 1)
redis.call('HSET', h, 'silenced_until', ARGV[1], 'silenced_by', ARGV[2], 'updated_at', ARGV[3])
push_timeline(h, {v = version, at = tonumber(ARGV[3]), k = 'silence', ['until'] = tonumber(ARGV[1]), by = ARGV[2]}, tonumber(ARGV[4]))
return {'changed', version}
`;

/**
 * Claims the timeline entries not yet posted to the thread. A retry of the same claimer gets the same
 * range again (its post is idempotent); another claimer gets only what came after.
 * KEYS[1]: the incident hash. ARGV: 1 claimer id.
 * Returns {from, to, entries...} (from = to: nothing new) or {} for a missing incident.
 */
export const CLAIM_FLUSH = `
local h = KEYS[1]
if redis.call('EXISTS', h) == 0 then return {} end
local from
local to
if redis.call('HGET', h, 'claim_by') == ARGV[1] then
  from = tonumber(redis.call('HGET', h, 'claim_from'))
  to = tonumber(redis.call('HGET', h, 'claim_to'))
else
  from = tonumber(redis.call('HGET', h, 'flushed') or '0')
  to = tonumber(redis.call('HGET', h, 'version') or '0')
  -- changes from now on need a flush of their own
  redis.call('HDEL', h, 'flush_requested')
  if to <= from then return {from, from} end
  redis.call('HSET', h, 'flushed', to, 'claim_by', ARGV[1], 'claim_from', from, 'claim_to', to)
end
local out = {from, to}
for _, raw in ipairs(redis.call('LRANGE', h .. ':timeline', 0, -1)) do
  local e = cjson.decode(raw)
  if e.v > from and e.v <= to then table.insert(out, raw) end
end
return out
`;
