-- Takes or refreshes a lease for `owner` (a truncated group's reconciliation, src/incidents/truncation.ts).
-- KEYS[1]: the lease key. ARGV[1]: JSON {owner, ttl: ms}.
-- Returns 1 when `owner` holds it now, 0 when another owner does.
local key = KEYS[1]
local a = cjson.decode(ARGV[1])
local cur = redis.call('GET', key)
if cur and cur ~= a.owner then return 0 end
redis.call('SET', key, a.owner, 'PX', a.ttl)
return 1
