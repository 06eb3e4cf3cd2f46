-- "Same incident as…": merges one incident (the source) into another (the target) (src/incidents/merge.ts).
-- KEYS: 1-7 the source's keys, 8-14 the target's keys (include/incident-keys.lua), 15 the active set, then the
--       group-index keys of the source's alerts (ARGV groups: how many), then the source's open-index keys as
--       the caller last read them (its :keys set).
-- ARGV[1]: JSON {src, dst, by, now: ms, timelineMax, retentionMs, rootTs: the target's root ts or '', groups}.
-- Returns {'merged', moved alerts, target firing, target total} | {'refused', reason} | {'keys', key...} when
-- the source's :keys set holds keys not passed (nothing written: pass them and call again).
--- @include "include/incident-keys"
local s, d, active = incident_at(1), incident_at(1 + INCIDENT_KEYS), KEYS[1 + 2 * INCIDENT_KEYS]
local a = cjson.decode(ARGV[1])
local src, dst, by, now, max, retention = a.src, a.dst, a.by, a.now, a.timelineMax, a.retentionMs
if src == dst then return {'refused', 'same'} end
local s_state = redis.call('HGET', s.h, 'state')
local d_state = redis.call('HGET', d.h, 'state')
if not s_state or not d_state then return {'refused', 'missing'} end
if s_state == 'resolved' or d_state == 'resolved' then return {'refused', 'resolved'} end
if redis.call('HGET', s.h, 'channel') ~= redis.call('HGET', d.h, 'channel') then return {'refused', 'channel'} end
local missing = undeclared_members(s.keys, {'keys'})
if #missing > 1 then return missing end

local moved = 0
local alerts = redis.call('HGETALL', s.alerts)
for i = 1, #alerts, 2 do
  local fp, raw = alerts[i], alerts[i + 1]
  local cur = redis.call('HGET', d.alerts, fp)
  local take = not cur
  if cur then take = cjson.decode(cur).r ~= 1 and cjson.decode(raw).r == 1 end
  if take then
    redis.call('HSET', d.alerts, fp, raw)
    local seen = redis.call('HGET', s.seen, fp)
    if seen then redis.call('HSET', d.seen, fp, seen) else redis.call('HDEL', d.seen, fp) end
  end
  moved = moved + 1
end
for _, fp in ipairs(redis.call('SMEMBERS', s.firing)) do redis.call('SADD', d.firing, fp) end
for _, ag in ipairs(redis.call('SMEMBERS', s.agents)) do redis.call('SADD', d.agents, ag) end
for _, k in ipairs(redis.call('SMEMBERS', s.keys)) do
  redis.call('SET', declared(k), dst)
  redis.call('SADD', d.keys, k)
end
local prefix = src .. '|'
local first_group = 2 + 2 * INCIDENT_KEYS
for i = first_group, first_group + a.groups - 1 do
  local group = KEYS[i]
  for _, m in ipairs(redis.call('SMEMBERS', group)) do
    if string.sub(m, 1, #prefix) == prefix then
      redis.call('SREM', group, m)
      redis.call('SADD', group, dst .. '|' .. string.sub(m, #prefix + 1))
    end
  end
end

-- the target: severity, start and counts follow what joined
local s_rank = tonumber(redis.call('HGET', s.h, 'severity_rank') or '0')
if s_rank > tonumber(redis.call('HGET', d.h, 'severity_rank') or '0') then
  redis.call('HSET', d.h, 'severity', redis.call('HGET', s.h, 'severity'), 'severity_rank', s_rank)
end
local s_started = tonumber(redis.call('HGET', s.h, 'started_at') or '0')
local d_started = tonumber(redis.call('HGET', d.h, 'started_at') or '0')
if s_started > 0 and (d_started == 0 or s_started < d_started) then redis.call('HSET', d.h, 'started_at', s_started) end
local firing = redis.call('SCARD', d.firing)
local total = redis.call('HLEN', d.alerts)
local dv = redis.call('HINCRBY', d.h, 'version', 1)
redis.call('HSET', d.h, 'alerts', total, 'firing', firing, 'updated_at', now)
push_timeline(d, {v = dv, at = now, k = 'merged', from = src, by = by}, max)

-- the source: closed as merged; its keys now lead to the target, so they are no longer its own
local sv = redis.call('HINCRBY', s.h, 'version', 1)
redis.call('HSET', s.h, 'state', 'resolved', 'resolved_at', now, 'resolved_by', by, 'merged_into', dst, 'merged_into_ts', a.rootTs,
  'firing', 0, 'updated_at', now)
redis.call('DEL', s.keys, s.firing, s.seen, s.alerts)
redis.call('ZREM', active, src)
push_timeline(s, {v = sv, at = now, k = 'state', from = s_state, to = 'resolved', by = by,
  note = 'merged into ' .. dst .. ': the same incident'}, max)
for _, k in ipairs({s.h, s.agents, s.timeline}) do redis.call('PEXPIRE', k, retention) end
return {'merged', moved, firing, total}
