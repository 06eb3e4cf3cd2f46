/**
 * Lua scripts of the incident store. Each runs atomically in Redis, so concurrent workers applying alerts
 * of one incident can never open two incidents (two threads) for it, lose a count, or race a button.
 *
 * Keys (P = key prefix, hash-tagged so that every key shares one Redis Cluster slot):
 *   P inc:open:<scope key>   → incident id (no TTL while active; the reopen window once resolved)
 *   P inc:<id>               hash: the incident's fields (started_at: earliest start of its firing alerts)
 *   P inc:<id>:alerts        hash: fingerprint → {s: start ms, r: 1 firing / 2 resolved, e: end ms, d: detail}
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
  for _, k in ipairs({h, h .. ':alerts', h .. ':firing', h .. ':keys', h .. ':agents', h .. ':timeline'}) do
    redis.call('PERSIST', k)
  end
  for _, k in ipairs(redis.call('SMEMBERS', h .. ':keys')) do redis.call('PERSIST', k) end
end
local function expire_all(h, reopen_ms, retention_ms)
  for _, k in ipairs({h, h .. ':alerts', h .. ':firing', h .. ':keys', h .. ':agents', h .. ':timeline'}) do
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
const APPLY_ARGS = 13;
export const APPLY_REPLY = 10;

/**
 * Applies a batch of alert events (one Alertmanager notification, or part of a big one), one after the
 * other in one atomic call: an incident opened by an alert is joined by the later alerts of the batch.
 * ARGV: 1 prefix, 2 now ms, 3 reopen window ms, 4 timeline max, 5 retention ms, 6 number of alerts n, then
 *       n blocks of 13 values: 1 number of its keys, 2 new id, 3 fingerprint, 4 status,
 *       5 start ms or '', 6 end ms or '', 7 severity, 8 severity rank, 9 detail JSON,
 *       10 creation JSON {key,title,runtime,agent,channel,source}, 11 agent or '', 12 group index key or '',
 *       13 timeline line
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

  -- merge the alert: a later firing episode, or the resolution of the current one, wins; anything else is
  -- a resend or arrived out of order and changes nothing
  local rank = 1
  if status == 'resolved' then rank = 2 end
  local s = tonumber(A(5))
  local prev_raw = redis.call('HGET', h .. ':alerts', fp)
  local newer = false
  if not prev_raw then
    newer = true
    if not s then s = now end
  else
    local prev = cjson.decode(prev_raw)
    if not s then
      if status == 'firing' then
        if prev.r == 1 then s = prev.s else newer = true; s = now end
      else
        if prev.r == 1 then newer = true end
        s = prev.s
      end
    else
      newer = (s > prev.s) or (s == prev.s and rank > prev.r)
    end
  end
  if not newer then
    return {id, created, 0, 0, 0, state, redis.call('SCARD', h .. ':firing'), redis.call('HLEN', h .. ':alerts'),
      tonumber(redis.call('HGET', h, 'version')), 0}
  end
  redis.call('HSET', h .. ':alerts', fp, cjson.encode({s = s, r = rank, e = tonumber(A(6)), d = A(9)}))

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
  push_timeline(h, {v = version, at = now, k = status, fp = fp, t = A(13)}, max)

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
  -- resends of that episode change nothing; a new episode (later start) reopens within the window
  for _, fp in ipairs(redis.call('SMEMBERS', h .. ':firing')) do
    local raw = redis.call('HGET', h .. ':alerts', fp)
    if raw then
      local a = cjson.decode(raw)
      a.r = 2
      a.e = now
      redis.call('HSET', h .. ':alerts', fp, cjson.encode(a))
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
