-- Records the newest notification's truncated count of a group, by receipt time (src/incidents/truncation.ts).
-- KEYS[1]: the group's truncation hash. ARGV[1]: JSON {count, at: receipt ms, ttl: ms}.
-- Returns the count held afterwards.
local key = KEYS[1]
local a = cjson.decode(ARGV[1])
local at = tonumber(redis.call('HGET', key, 'at') or '0')
if a.at >= at then redis.call('HSET', key, 'count', a.count, 'at', a.at) end
redis.call('PEXPIRE', key, a.ttl)
return tonumber(redis.call('HGET', key, 'count'))
