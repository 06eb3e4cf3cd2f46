-- Stores a new plan, or refreshes a pending one in place; a decided plan is not touched (src/approvals/consume.ts).
-- KEYS[1]: the plan's record hash.
-- ARGV[1]: JSON {plan: JSON text, hash, required, expiresAt: ms, now: ms, retention: ms}.
-- Returns {'stored'} | {'replaced'} | {'unchanged'} | {'decided', status}.
local key = KEYS[1]
local a = cjson.decode(ARGV[1])
local status = redis.call('HGET', key, 'status')
if status and status ~= 'pending' then return {'decided', status} end
local oldHash = redis.call('HGET', key, 'hash')
redis.call('HSET', key, 'plan', a.plan, 'hash', a.hash, 'status', 'pending', 'required', a.required,
  'expires_at', a.expiresAt, 'created_at', a.now)
if oldHash ~= a.hash then redis.call('HSET', key, 'approvers', '[]') end
redis.call('PEXPIRE', key, math.max(a.expiresAt - a.now, 0) + a.retention)
if oldHash and oldHash ~= a.hash then return {'replaced'} end
if oldHash then return {'unchanged'} end
return {'stored'}
