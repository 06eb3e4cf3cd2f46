-- One rejection of a plan, atomically (the same checks as an approval; src/approvals/consume.ts).
-- KEYS[1]: the plan's record hash. ARGV[1]: JSON {hash, user, now: ms}.
-- Returns {'missing'} | {'decided', status, by, at} | {'stale'} | {'expired', at} | {'rejected'}.
local key = KEYS[1]
local a = cjson.decode(ARGV[1])
if redis.call('EXISTS', key) == 0 then return {'missing'} end
local f = redis.call('HMGET', key, 'status', 'hash', 'expires_at', 'decided_by', 'decided_at')
if f[1] ~= 'pending' then return {'decided', f[1], f[4] or '', f[5] or '0'} end
if f[2] ~= a.hash then return {'stale'} end
if a.now >= tonumber(f[3]) then return {'expired', f[3]} end
redis.call('HSET', key, 'status', 'rejected', 'decided_by', a.user, 'decided_at', a.now)
return {'rejected'}
