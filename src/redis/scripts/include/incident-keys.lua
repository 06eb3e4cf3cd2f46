-- Included by the incident scripts (src/redis/scripts.ts resolves their include lines).
-- An incident's keys, passed in KEYS as one block of INCIDENT_KEYS (in this order; src/incidents/store.ts
-- incidentKeys): its hash, then :alerts, :seen, :firing, :keys, :agents, :timeline.
local INCIDENT_KEYS = 7
local function incident_at(at)
  return {h = KEYS[at], alerts = KEYS[at + 1], seen = KEYS[at + 2], firing = KEYS[at + 3], keys = KEYS[at + 4],
    agents = KEYS[at + 5], timeline = KEYS[at + 6]}
end
local function incident_list(inc)
  return {inc.h, inc.alerts, inc.seen, inc.firing, inc.keys, inc.agents, inc.timeline}
end

-- Every key of this call: a key read from Redis (an incident's open-index keys) is touched only once it is
-- known to be among them.
local DECLARED = {}
for _, k in ipairs(KEYS) do DECLARED[k] = true end
-- The members of set `set` that were not passed in KEYS (the caller passes them and calls again).
local function undeclared_members(set, out)
  for _, k in ipairs(redis.call('SMEMBERS', set)) do
    if not DECLARED[k] then out[#out + 1] = k end
  end
  return out
end
local function declared(k)
  if not DECLARED[k] then error('key not declared in KEYS: ' .. k) end
  return k
end

local function persist_all(inc)
  for _, k in ipairs(incident_list(inc)) do redis.call('PERSIST', k) end
  for _, k in ipairs(redis.call('SMEMBERS', inc.keys)) do redis.call('PERSIST', declared(k)) end
end
local function expire_all(inc, reopen_ms, retention_ms)
  for _, k in ipairs(incident_list(inc)) do redis.call('PEXPIRE', k, retention_ms) end
  for _, k in ipairs(redis.call('SMEMBERS', inc.keys)) do redis.call('PEXPIRE', declared(k), reopen_ms) end
end
local function push_timeline(inc, entry, max)
  redis.call('RPUSH', inc.timeline, cjson.encode(entry))
  redis.call('LTRIM', inc.timeline, -max, -1)
end
local function is_move(outcome)
  return outcome ~= nil and outcome ~= 'same' and outcome ~= 'invalid'
end
