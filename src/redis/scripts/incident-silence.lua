-- Silences (or unsilences with until = 0) an incident's thread updates (src/incidents/store.ts).
-- KEYS: 1 the incident hash, 2 its timeline. ARGV[1]: JSON {until: ms, by, now: ms, timelineMax}.
-- Returns {outcome ('changed' | 'missing'), version}.
local h, timeline = KEYS[1], KEYS[2]
local a = cjson.decode(ARGV[1])
if redis.call('EXISTS', h) == 0 then return {'missing', 0} end
local version = redis.call('HINCRBY', h, 'version', 1)
redis.call('HSET', h, 'silenced_until', a['until'], 'silenced_by', a.by, 'updated_at', a.now)
redis.call('RPUSH', timeline, cjson.encode({v = version, at = a.now, k = 'silence', ['until'] = a['until'], by = a.by}))
redis.call('LTRIM', timeline, -a.timelineMax, -1)
return {'changed', version}
