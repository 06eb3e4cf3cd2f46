-- Marks a coalesced edit as sent and drops the content it sent unless a newer one was written since
-- (src/outbox/deliver.ts; the content is written with its sequence number by Outbox.update).
-- KEYS[1]: the key's sequence number; KEYS[2]: its newest content; KEYS[3]: the sequence number last sent.
-- ARGV[1]: JSON {seq: the sequence number just sent, ttl: seconds the sent mark lives}.
-- Returns 1 when the content was dropped (nothing newer), 0 otherwise.
local a = cjson.decode(ARGV[1])
redis.call('SET', KEYS[3], a.seq, 'EX', a.ttl)
if tonumber(redis.call('GET', KEYS[1]) or '0') == a.seq then
  redis.call('DEL', KEYS[2])
  return 1
end
return 0
