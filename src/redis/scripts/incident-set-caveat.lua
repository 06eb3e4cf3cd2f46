-- Sets (or clears, with value '') one caveat of an incident (src/incidents/caveats.ts).
-- KEYS: 1 the incident hash, 2 its timeline.
-- ARGV[1]: JSON {field, value: JSON text or '', identity: the comparable part of the value, now: ms,
--          timelineMax, note: timeline note ('' = an entry without note)}.
-- Returns the new version (the caller asks for a flush), or 0 when nothing changed (or the incident is gone).
local h, timeline = KEYS[1], KEYS[2]
local a = cjson.decode(ARGV[1])
if redis.call('EXISTS', h) == 0 then return 0 end
local field = a.field
local idf = field .. '_id'
local cur = redis.call('HGET', h, idf) or ''
if a.value == '' then
  if not redis.call('HGET', h, field) then return 0 end
  redis.call('HDEL', h, field, idf)
  if cur == '' then return 0 end
else
  redis.call('HSET', h, field, a.value, idf, a.identity)
  if cur == a.identity then return 0 end
end
local version = redis.call('HINCRBY', h, 'version', 1)
if a.note ~= '' then
  redis.call('RPUSH', timeline, cjson.encode({v = version, at = a.now, k = 'caveat', note = a.note}))
else
  redis.call('RPUSH', timeline, cjson.encode({v = version, at = a.now, k = 'caveat'}))
end
redis.call('LTRIM', timeline, -a.timelineMax, -1)
return version
