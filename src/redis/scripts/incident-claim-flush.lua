-- Claims the timeline entries of an incident not yet posted to its thread (src/incidents/store.ts). A retry
-- of the same claimer gets the same range again (its post is idempotent); another claimer gets only what
-- came after.
-- KEYS: 1 the incident hash, 2 its timeline. ARGV[1]: JSON {claimer}.
-- Returns {from, to, entries...} (from = to: nothing new) or {} for a missing incident.
local h, timeline = KEYS[1], KEYS[2]
local a = cjson.decode(ARGV[1])
if redis.call('EXISTS', h) == 0 then return {} end
local from
local to
if redis.call('HGET', h, 'claim_by') == a.claimer then
  from = tonumber(redis.call('HGET', h, 'claim_from'))
  to = tonumber(redis.call('HGET', h, 'claim_to'))
else
  from = tonumber(redis.call('HGET', h, 'flushed') or '0')
  to = tonumber(redis.call('HGET', h, 'version') or '0')
  -- changes from now on need a flush of their own
  redis.call('HDEL', h, 'flush_requested')
  if to <= from then return {from, from} end
  redis.call('HSET', h, 'flushed', to, 'claim_by', a.claimer, 'claim_from', from, 'claim_to', to)
end
local out = {from, to}
for _, raw in ipairs(redis.call('LRANGE', timeline, 0, -1)) do
  local e = cjson.decode(raw)
  if e.v > from and e.v <= to then table.insert(out, raw) end
end
return out
