-- A run of a post job claims the job's posting (src/outbox/deliver.ts, "Posting once").
-- KEYS[1]: the job's attempt hash: `claim` = when a run last claimed it (to look for the message or to
-- send it), `sent` = when a run last sent it without recording Slack's answer.
-- ARGV[1]: JSON {now: ms, window: ms a claiming run may still be busy (its look-up, Slack's answer), ttl: s}.
-- Returns {wait, sent}: {ms, 0} while another run claimed it less than `window` ago; otherwise claims it and
-- returns {0, 0} when no earlier run's answer is missing (marked as sent now: the caller sends at once), else
-- {0, when that run sent it} (the caller looks for the message first, and marks its own send if it sends).
local a = cjson.decode(ARGV[1])
local claim = tonumber(redis.call('HGET', KEYS[1], 'claim') or '')
if claim then
  local age = a.now - claim
  if age >= 0 and age < a.window then return {a.window - age, 0} end
end
local sent = tonumber(redis.call('HGET', KEYS[1], 'sent') or '0')
if sent > 0 then
  redis.call('HSET', KEYS[1], 'claim', a.now)
else
  redis.call('HSET', KEYS[1], 'claim', a.now, 'sent', a.now)
end
redis.call('EXPIRE', KEYS[1], a.ttl)
return {0, sent}
