-- Appends one audit event to the global stream and to its indexes, atomically (src/audit/stream.ts).
-- KEYS[1]: the global stream; KEYS[2..]: the per-incident / per-plan index streams.
-- ARGV[1]: JSON {maxlen, fields: [name, value, ...], ttl: ms of the indexes}.
-- Returns the entry id in the global stream.
local a = cjson.decode(ARGV[1])
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', a.maxlen, '*', unpack(a.fields))
local idx = a.fields
table.insert(idx, 'ref')
table.insert(idx, id)
for i = 2, #KEYS do
  redis.call('XADD', KEYS[i], '*', unpack(idx))
  redis.call('PEXPIRE', KEYS[i], a.ttl)
end
return id
