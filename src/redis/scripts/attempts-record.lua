-- Records a failed recovery attempt once per plan and counts the recent ones (src/response/attempts.ts).
-- KEYS[1]: the failure's attempts sorted set. ARGV[1]: JSON {now: ms, window: ms, attempt: JSON text, plan}.
-- Returns how many failed attempts the window holds afterwards.
local key = KEYS[1]
local a = cjson.decode(ARGV[1])
redis.call('ZREMRANGEBYSCORE', key, '-inf', a.now - a.window)
for _, m in ipairs(redis.call('ZRANGE', key, 0, -1)) do
  if cjson.decode(m).planId == a.plan then return redis.call('ZCARD', key) end
end
redis.call('ZADD', key, a.now, a.attempt)
redis.call('PEXPIRE', key, a.window)
return redis.call('ZCARD', key)
