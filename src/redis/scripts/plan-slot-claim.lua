-- Takes a channel's plan slot of a failure for `plan` if it still holds `expected` ('' = none)
-- (src/response/links.ts). KEYS[1]: the slot key. ARGV[1]: JSON {expected, plan, ttl: ms}.
-- Returns the plan id the slot holds afterwards.
local key = KEYS[1]
local a = cjson.decode(ARGV[1])
local cur = redis.call('GET', key) or ''
if cur ~= a.expected then return cur end
redis.call('SET', key, a.plan, 'PX', a.ttl)
return a.plan
