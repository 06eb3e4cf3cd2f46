-- Reserves one action slot of a runtime's circuit breaker (sliding window; src/response/safety.ts). A member
-- already reserved within the window passes again without counting (a retried job).
-- KEYS[1]: the runtime's breaker sorted set. ARGV[1]: JSON {now: ms, window: ms, limit, member}.
-- Returns {open 0|1, count, repeated 0|1, retry at ms (open only)}.
local key = KEYS[1]
local a = cjson.decode(ARGV[1])
local now, window, limit = a.now, a.window, a.limit
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZSCORE', key, a.member) then return {0, redis.call('ZCARD', key), 1, 0} end
local count = redis.call('ZCARD', key)
if count >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return {1, count, 0, tonumber(oldest[2]) + window}
end
redis.call('ZADD', key, now, a.member)
redis.call('PEXPIRE', key, window)
return {0, count + 1, 0, 0}
