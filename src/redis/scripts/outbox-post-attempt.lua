-- A run of a post job is about to send its message to Slack (src/outbox/deliver.ts, "Posting once").
-- KEYS[1]: the job's attempt mark: when a run last sent the message without having recorded Slack's answer.
-- ARGV[1]: JSON {now: ms, window: ms a run may take to get Slack's answer, ttl: seconds the mark lives}.
-- Returns {wait, earlier}: {ms, 0} while another run sent it less than `window` ago (it may still get the
-- answer); otherwise marks this attempt and returns {0, 0} (no earlier one) or {0, when the earlier run sent
-- it} (its answer was lost: look for the message first).
local a = cjson.decode(ARGV[1])
local prev = tonumber(redis.call('GET', KEYS[1]) or '')
if prev then
  local age = a.now - prev
  if age >= 0 and age < a.window then return {a.window - age, 0} end
end
redis.call('SET', KEYS[1], a.now, 'EX', a.ttl)
return {0, prev or 0}
