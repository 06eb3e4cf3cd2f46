-- Releases a lock or lease only if `owner` holds it (src/monitor/poll.ts, src/incidents/truncation.ts).
-- KEYS[1]: the lock key. ARGV[1]: JSON {owner}.
-- Returns 1 when released, 0 otherwise.
local key = KEYS[1]
local a = cjson.decode(ARGV[1])
if redis.call('GET', key) == a.owner then return redis.call('DEL', key) end
return 0
