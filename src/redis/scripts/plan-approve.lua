-- One approval of a plan, atomically: exactly one caller ever sees 'approved' (src/approvals/consume.ts).
-- KEYS[1]: the plan's record hash.
-- ARGV[1]: JSON {hash: the buttons' plan hash, user, now: ms, required (optional: overrides the record's)}.
-- Returns {'missing'} | {'decided', status, by, at} | {'stale'} | {'expired', at} | {'same_approver', required}
--       | {'approved', approvers JSON} | {'recorded', approvers JSON, required}.
local key = KEYS[1]
local a = cjson.decode(ARGV[1])
if redis.call('EXISTS', key) == 0 then return {'missing'} end
local f = redis.call('HMGET', key, 'status', 'hash', 'expires_at', 'approvers', 'required', 'decided_by', 'decided_at')
if f[1] ~= 'pending' then return {'decided', f[1], f[6] or '', f[7] or '0'} end
if f[2] ~= a.hash then return {'stale'} end
if a.now >= tonumber(f[3]) then return {'expired', f[3]} end
local approvers = cjson.decode(f[4])
for _, x in ipairs(approvers) do
  if x.user == a.user then return {'same_approver', f[5]} end
end
table.insert(approvers, {user = a.user, at = a.now})
local enc = cjson.encode(approvers)
local required = tonumber(a.required or f[5])
if #approvers >= required then
  redis.call('HSET', key, 'approvers', enc, 'status', 'approved', 'decided_by', a.user, 'decided_at', a.now)
  return {'approved', enc}
end
redis.call('HSET', key, 'approvers', enc)
return {'recorded', enc, tostring(required)}
