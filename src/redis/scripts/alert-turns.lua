-- The turn of each alert of one `alerts` job (src/incidents/turns.ts): how many times the content of its
-- fingerprint changed, remembered for the dedupe window. An exact resend of the last content keeps the turn
-- (so the job's deduplication id is the same and BullMQ drops the copy); any other content — a resolution, the
-- firing after it even when byte-identical to an earlier one, a new startsAt — takes the next turn.
-- KEYS[i]: the turn key of alert i. ARGV[1]: JSON {ids: [content id of alert i], ttl: ms}.
-- Each key holds "<turn> <content id>" and expires `ttl` after its last use.
-- Returns the turns, in KEYS order.
local a = cjson.decode(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  local id = a.ids[i]
  local held = redis.call('GET', key)
  local turn = 1
  if held then
    local t, last = string.match(held, '^(%d+) (.*)$')
    if t then
      turn = tonumber(t)
      if last ~= id then turn = turn + 1 end
    end
  end
  redis.call('SET', key, turn .. ' ' .. id, 'PX', a.ttl)
  out[i] = turn
end
return out
