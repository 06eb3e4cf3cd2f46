-- Marks a pending plan superseded by a newer one (src/approvals/consume.ts).
-- KEYS[1]: the plan's record hash. ARGV[1]: JSON {by, now: ms}.
-- Returns 1 when it was pending, else 0.
local key = KEYS[1]
local a = cjson.decode(ARGV[1])
if redis.call('HGET', key, 'status') ~= 'pending' then return 0 end
redis.call('HSET', key, 'status', 'superseded', 'decided_by', a.by, 'decided_at', a.now)
return 1
