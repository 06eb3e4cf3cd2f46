-- Takes one send slot of a channel now, or says how long to wait (GCRA; src/outbox/rate.ts).
-- KEYS[1]: the channel's rate key (its theoretical arrival time, ms).
-- ARGV[1]: JSON {now: ms, interval: ms between sends, burst: sends allowed back-to-back}.
-- Returns 0 (slot taken) or the ms to wait (nothing reserved).
local key = KEYS[1]
local a = cjson.decode(ARGV[1])
local tat = tonumber(redis.call('GET', key) or '0')
local now = a.now
local interval = a.interval
local burst = a.burst
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - burst * interval
if allow_at > now then return allow_at - now end
redis.call('SET', key, new_tat, 'PX', math.ceil(new_tat - now + interval))
return 0
