-- Pushes a channel's next send slot out to `until` (Slack's Retry-After; src/outbox/rate.ts).
-- KEYS[1]: the channel's rate key. ARGV[1]: JSON {until: ms, ttl: ms the key lives}.
-- Returns 1.
local key = KEYS[1]
local a = cjson.decode(ARGV[1])
local tat = tonumber(redis.call('GET', key) or '0')
if a['until'] > tat then redis.call('SET', key, a['until'], 'PX', math.ceil(a.ttl)) end
return 1
