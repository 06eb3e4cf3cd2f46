-- One voice per problem: whether an alert event is applied, dropped or hands over (src/incidents/voices.ts).
-- KEYS[1]: the voice key's hash. Fields: `_source` → the speaking source; `v:<fp>` → {s: status, src: source,
-- e: event JSON}; `st:<fp>` → 1 once applied.
-- ARGV[1]: JSON {fp, status, event: event JSON text, ttl: ms, source}.
-- Returns {'pass'} | {'drop'} | {'handover', event JSON...}.
local h = KEYS[1]
local a = cjson.decode(ARGV[1])
local fp = a.fp
local status = a.status
local src = a.source
local speaking = redis.call('HGET', h, '_source')
redis.call('HSET', h, 'v:' .. fp, cjson.encode({s = status, src = src, e = a.event}))
redis.call('PEXPIRE', h, a.ttl)
local function firing_of(source)
  local out = {}
  local fields = redis.call('HGETALL', h)
  for i = 1, #fields, 2 do
    if string.sub(fields[i], 1, 2) == 'v:' then
      local v = cjson.decode(fields[i + 1])
      if v.src == source and v.s == 'firing' then out[#out + 1] = {string.sub(fields[i], 3), v} end
    end
  end
  return out
end
if not speaking or speaking == src then
  redis.call('HSET', h, '_source', src, 'st:' .. fp, 1)
  if status == 'firing' or #firing_of(src) > 0 then return {'pass'} end
  -- this source's last firing alert resolved: another source still firing speaks from now on
  local fields = redis.call('HGETALL', h)
  for i = 1, #fields, 2 do
    if string.sub(fields[i], 1, 2) == 'v:' then
      local v = cjson.decode(fields[i + 1])
      if v.src ~= src and v.s == 'firing' then
        local out = {'handover'}
        for _, pair in ipairs(firing_of(v.src)) do
          redis.call('HSET', h, 'st:' .. pair[1], 1)
          out[#out + 1] = pair[2].e
        end
        redis.call('HSET', h, '_source', v.src)
        return out
      end
    end
  end
  return {'pass'}
end
if status == 'firing' then
  if #firing_of(speaking) > 0 then return {'drop'} end
  redis.call('HSET', h, '_source', src, 'st:' .. fp, 1)
  return {'pass'}
end
if redis.call('HGET', h, 'st:' .. fp) then
  -- applied before (it spoke once): its resolution applies; the speaking source's firing alerts are given
  -- again, so a retried job whose first attempt handed over and died still shows them (a resend changes nothing)
  local out = {'handover'}
  for _, pair in ipairs(firing_of(speaking)) do out[#out + 1] = pair[2].e end
  return out
end
return {'drop'}
