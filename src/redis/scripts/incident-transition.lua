-- A state change of an incident asked for by a person (or a response plan) (src/incidents/store.ts).
-- KEYS: 1-7 the incident's keys (include/incident-keys.lua), 8 the active set, 9.. the incident's open-index
--       keys as the caller last read them (its :keys set).
-- ARGV[1]: JSON {id, event, by, now: ms, reopenMs, retentionMs, timelineMax, note, transitions: the table of
--          src/incidents/state.ts}.
-- Returns {outcome ('changed' | 'same' | 'invalid' | 'missing'), state, version}, or {'keys', key...} when
-- it would resolve and its :keys set holds keys not passed (nothing written: pass them and call again).
--- @include "include/incident-keys"
local inc = incident_at(1)
local active = KEYS[8]
local a = cjson.decode(ARGV[1])
local id, event, by, now = a.id, a.event, a.by, a.now
local T = a.transitions
local h = inc.h
local state = redis.call('HGET', h, 'state')
if not state then return {'missing', '', 0} end
local outcome = T[event][state]
if outcome == 'invalid' or outcome == 'same' then
  return {outcome, state, tonumber(redis.call('HGET', h, 'version'))}
end
if outcome == 'resolved' then
  local missing = undeclared_members(inc.keys, {'keys'})
  if #missing > 1 then return missing end
end
local version = redis.call('HINCRBY', h, 'version', 1)
redis.call('HSET', h, 'state', outcome, 'updated_at', now)
if event == 'acknowledge' then redis.call('HSET', h, 'acked_by', by, 'acked_at', now) end
if event == 'mitigate' then redis.call('HSET', h, 'mitigated_by', by, 'mitigated_at', now) end
if event == 'unmitigate' then redis.call('HDEL', h, 'mitigated_by', 'mitigated_at') end
if outcome == 'resolved' then
  -- a person resolved it: the alerts still firing count as resolved in their current episode, so the
  -- resends of that episode change nothing; a new episode (later start) reopens within the window (M11, M12)
  for _, fp in ipairs(redis.call('SMEMBERS', inc.firing)) do
    local raw = redis.call('HGET', inc.alerts, fp)
    if raw then
      local al = cjson.decode(raw)
      al.r = 2
      al.e = now
      al.p = 1
      redis.call('HSET', inc.alerts, fp, cjson.encode(al))
      redis.call('HSET', inc.seen, fp, now)
    end
  end
  redis.call('DEL', inc.firing)
  redis.call('HSET', h, 'firing', 0, 'resolved_at', now, 'resolved_by', by)
  redis.call('ZREM', active, id)
  expire_all(inc, a.reopenMs, a.retentionMs)
end
push_timeline(inc, {v = version, at = now, k = 'state', from = state, to = outcome, by = by, note = a.note}, a.timelineMax)
return {'changed', outcome, version}
