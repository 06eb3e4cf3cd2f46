-- Applies a batch of alert events to the incidents (one Alertmanager notification, or part of a big one), one
-- after the other in one atomic call: an incident opened by an alert is joined by the later alerts of the
-- batch (src/incidents/store.ts).
--
-- The merge follows Alertmanager's own semantics. An alert is identified by its fingerprint alone (its
-- labels; a generic source's `id`), never by its `startsAt`: a sender may resolve with another start than it
-- fired with, and Alertmanager merges and forwards what it holds. Each notification is its group's whole
-- current state, so what the bot received later is newer, whatever start it carries ("received": the
-- `received_at` of the job that carried it).
--
--   #    held                          event                                              effect
--   M1   nothing                       firing                                             fires: opens or joins an incident
--   M2   nothing                       resolved                                           kept as resolved if its incident exists, else nothing
--   M3   firing                        firing, same labels and annotations, any start     nothing to show: a resend (its receipt time and
--                                                                                         the later start are kept)
--   M4   firing                        firing, labels or annotations changed, received    updated: a coalesced thread line; the root's title
--                                      no earlier than the held one                       follows when this alert named the incident
--   M5   firing                        firing, changed, received before the held one      nothing: a late copy
--   M6   firing                        resolved, received no earlier than the firing,     resolves that episode; the last firing alert
--                                      whatever its startsAt                              resolves the incident
--   M7   firing                        resolved, received before the held firing          nothing: a late resolution of an earlier episode
--   M8   resolved                      resolved                                           nothing: a resend
--   M9   resolved by the source        firing, received after that resolution             a new episode: fires again (reopens a resolved
--                                                                                         incident within the reopen window)
--   M10  resolved by the source        firing, received before that resolution            nothing: a late copy
--   M11  resolved by a person or plan  firing with a later start                          a new episode
--   M12  resolved by a person or plan  firing with the same or an earlier start           nothing: that episode was resolved early
--   M13  resolved by a person or plan  resolved                                           remembered: M9 and M10 apply from then on
--
-- A source without start times (generic alerts without `startsAt`): the start is when the bot first saw the
-- alert, and a firing received after any resolution is a new episode. Where a receipt time is missing (a
-- caller that gives none, or an alert held from before they were kept), the event counts as the latest and
-- a resolved alert follows M11/M12.
--
-- KEYS: 1 the active set; the others are named by position in ARGV: each alert's candidate open-index keys
--       and group-index key, a block of the incident keys (include/incident-keys.lua) for each incident the
--       caller expects and for each new id it offers, and the open-index keys those incidents hold.
-- ARGV[1]: JSON {now: ms, reopenMs, timelineMax, retentionMs, transitions: the table of src/incidents/state.ts,
--   incidents: [{id, at: KEYS position of its block}], fresh: [{id, at}] (new ids, taken in order by the alerts
--   that open an incident), alerts: [{k: [KEYS positions of its candidate open-index keys, own key first],
--   g: KEYS position of its group-index key or 0, fp, status, s: start ms (absent: none), e: end ms (absent),
--   sev, rank, d: detail JSON text, c: {key, title, runtime, agent, channel, source}, agent ('' = none),
--   t: timeline line, h: content hash (labels and annotations), r: received ms (absent: none)}]}.
--
-- First a read-only pass finds every incident the batch reaches. If one of them, an open-index key one of them
-- holds, or a new id is missing from KEYS, nothing is written and the reply is {'need', JSON {ids: incidents
-- not passed, keys: {id: its open-index keys not passed}, fresh: how many more new ids}}: the caller adds
-- them and calls again.
-- Otherwise returns 10 values per alert: {id, created, changed, reopened, resolved_now, state, firing, total,
-- version, flush}; id '' when a resolution arrives for no known incident (nothing to do). `flush` is 1 when
-- this change is the first since the thread was last flushed (the caller then asks for a flush; later
-- changes ride along).
--- @include "include/incident-keys"
local active = KEYS[1]
local a = cjson.decode(ARGV[1])
local now = a.now
local reopen_ms = a.reopenMs
local max = a.timelineMax
local retention_ms = a.retentionMs
local T = a.transitions

local blocks = {}
for _, b in ipairs(a.incidents) do blocks[b.id] = incident_at(b.at) end
for _, b in ipairs(a.fresh) do blocks[b.id] = incident_at(b.at) end

-- 1. the incidents the batch reaches, read only: the same lookups as below, with the index keys the earlier
-- alerts of the batch point elsewhere and the incidents they open
do
  local overlay, opened, reached = {}, {}, {}
  local need_ids, seen_id = {}, {}
  local fresh_at, need_fresh = 0, 0
  for _, al in ipairs(a.alerts) do
    local id, found = false, 0
    for i, ki in ipairs(al.k) do
      local v = overlay[KEYS[ki]] or redis.call('GET', KEYS[ki])
      if v then
        local b = blocks[v]
        if not b then
          -- unknown here: it may exist; the caller passes its keys and calls again
          if not seen_id[v] then seen_id[v] = true; need_ids[#need_ids + 1] = v end
          id = v; found = i; break
        elseif opened[v] or redis.call('EXISTS', b.h) == 1 then id = v; found = i; break end
      end
    end
    if not id and al.status == 'firing' then
      fresh_at = fresh_at + 1
      local f = a.fresh[fresh_at]
      if f then id = f.id else id = '\0new' .. fresh_at; need_fresh = need_fresh + 1 end
      opened[id] = true
    end
    if id then
      if found ~= 1 then overlay[KEYS[al.k[1]]] = id end
      reached[id] = true
    end
  end
  local need_keys, n_keys = {}, 0
  for id in pairs(reached) do
    local b = blocks[id]
    if b and not opened[id] then
      local missing = undeclared_members(b.keys, {})
      if #missing > 0 then need_keys[id] = missing; n_keys = n_keys + 1 end
    end
  end
  if #need_ids > 0 or n_keys > 0 or need_fresh > 0 then
    return {'need', cjson.encode({ids = need_ids, keys = need_keys, fresh = need_fresh})}
  end
end

-- 2. the batch
-- What an alert event does to the alert held under its fingerprint (the merge table above): 'fire' (first seen, or
-- a new episode), 'record' (a resolution of an alert never seen firing), 'resolve', 'update' (its labels or
-- annotations changed), 'adopt' (nothing to show; a held field is brought up to date) or false.
local function merge(prev, status, s_in, content, received)
  if not prev then
    if status == 'firing' then return 'fire' end
    return 'record'
  end
  local u = prev.u or 0
  -- an event without a receipt time counts as the latest
  local not_older = (not received) or received >= u
  if prev.r == 1 then
    if status == 'resolved' then
      if not_older then return 'resolve' end
      return false
    end
    if prev.c and prev.c ~= content then
      if not_older then return 'update' end
      return false
    end
    if not prev.c or (received and received > u) or (s_in and s_in > prev.s) then return 'adopt' end
    return false
  end
  if status == 'resolved' then
    -- the source resolves what a person resolved early: remembered, so that M9/M10 apply from then on
    if received and (prev.p == 1 or not prev.u) and received >= u then return 'adopt' end
    return false
  end
  if received and prev.u and prev.p ~= 1 then
    -- the source resolved it: what it sent later is newer, whatever its start; what came before, a late copy
    if received > u then return 'fire' end
    return false
  end
  -- resolved by a person or a plan (the source never resolved it), or no receipt times to compare: only a
  -- later start is a new episode; a source without start times fires anew once received after
  if s_in then
    if s_in > prev.s then return 'fire' end
    return false
  end
  if (not received) or received > u then return 'fire' end
  return false
end

local fresh_at = 0
local function apply_one(al)
  local fp = al.fp
  local status = al.status

  local id = false
  local found = 0
  for i, ki in ipairs(al.k) do
    local v = redis.call('GET', KEYS[ki])
    -- every incident reached has its block (the first pass made sure)
    local b = v and blocks[v]
    if b and redis.call('EXISTS', b.h) == 1 then id = v; found = i; break end
  end

  local created = 0
  local inc
  if not id then
    if status ~= 'firing' then return {'', 0, 0, 0, 0, '', 0, 0, 0, 0} end
    fresh_at = fresh_at + 1
    id = a.fresh[fresh_at].id
    inc = blocks[id]
    local c = al.c
    redis.call('HSET', inc.h,
      'id', id, 'key', c.key, 'title', c.title, 'runtime', c.runtime, 'agent', c.agent, 'source', c.source,
      'severity', al.sev, 'severity_rank', al.rank, 'state', 'open', 'channel', c.channel,
      'opened_at', now, 'updated_at', now, 'alerts', 0, 'firing', 0, 'version', 0, 'flushed', 0, 'reopened', 0)
    redis.call('ZADD', active, now, id)
    created = 1
  end
  inc = blocks[id]
  local h = inc.h
  local state = redis.call('HGET', h, 'state')

  local own = KEYS[al.k[1]]
  if found ~= 1 then
    redis.call('SET', own, id)
    redis.call('SADD', inc.keys, own)
    if state == 'resolved' then redis.call('PEXPIRE', own, reopen_ms) end
  end
  if al.agent ~= '' then redis.call('SADD', inc.agents, al.agent) end

  -- merge the alert by its fingerprint (the merge table above)
  local rank = 1
  if status == 'resolved' then rank = 2 end
  local s_in = al.s
  local content = al.h
  local received = al.r
  local prev_raw = redis.call('HGET', inc.alerts, fp)
  local prev = false
  if prev_raw then
    prev = cjson.decode(prev_raw)
    prev.u = tonumber(redis.call('HGET', inc.seen, fp))
  end
  local kind = merge(prev, status, s_in, content, received)
  local record
  if kind == 'fire' or kind == 'record' then
    local s = s_in
    if not s then s = now end
    record = {s = s, r = rank, e = al.e, d = al.d, c = content}
  elseif kind == 'resolve' then
    local s = prev.s
    if s_in and s_in > s then s = s_in end
    record = {s = s, r = 2, e = al.e, d = al.d, c = content}
  elseif kind == 'update' then
    record = {s = math.max(prev.s, s_in or prev.s), r = 1, d = al.d, c = content}
  elseif kind == 'adopt' then
    -- a resend still firing as of its receipt: a resolution received before it is older (M7)
    local rewrite = status == 'resolved' or not prev.c or (s_in and s_in > prev.s)
    if rewrite then
      prev.u = nil
      prev.p = nil
      prev.s = math.max(prev.s, s_in or prev.s)
      if not prev.c then prev.c = content end
      redis.call('HSET', inc.alerts, fp, cjson.encode(prev))
    end
  end
  if received and (record or kind == 'adopt') then
    redis.call('HSET', inc.seen, fp, received)
  elseif record then
    redis.call('HDEL', inc.seen, fp)
  end
  if not record then
    return {id, created, 0, 0, 0, state, redis.call('SCARD', inc.firing), redis.call('HLEN', inc.alerts),
      tonumber(redis.call('HGET', h, 'version')), 0}
  end
  local s = record.s
  redis.call('HSET', inc.alerts, fp, cjson.encode(record))
  if created == 1 then redis.call('HSET', h, 'title_fp', fp) end
  if kind == 'update' and redis.call('HGET', h, 'title_fp') == fp then
    redis.call('HSET', h, 'title', al.c.title)
  end

  local reopened = 0
  local resolved_now = 0
  if status == 'firing' then
    redis.call('SADD', inc.firing, fp)
    local started = tonumber(redis.call('HGET', h, 'started_at') or '0')
    if started == 0 or s < started then redis.call('HSET', h, 'started_at', s) end
    local cur = tonumber(redis.call('HGET', h, 'severity_rank') or '0')
    if al.rank > cur then redis.call('HSET', h, 'severity', al.sev, 'severity_rank', al.rank) end
    local nxt = T.refire[state]
    if is_move(nxt) then
      state = nxt
      reopened = 1
      redis.call('HSET', h, 'state', state)
      redis.call('HDEL', h, 'resolved_at', 'resolved_by')
      redis.call('HINCRBY', h, 'reopened', 1)
      redis.call('ZADD', active, redis.call('HGET', h, 'opened_at'), id)
      persist_all(inc)
    end
  else
    redis.call('SREM', inc.firing, fp)
  end
  local firing = redis.call('SCARD', inc.firing)
  local total = redis.call('HLEN', inc.alerts)
  local version = redis.call('HINCRBY', h, 'version', 1)
  redis.call('HSET', h, 'alerts', total, 'firing', firing, 'updated_at', now, 'last_alert_at', now)
  if reopened == 1 then push_timeline(inc, {v = version, at = now, k = 'reopened'}, max) end
  local entry = status
  if kind == 'update' then entry = 'updated' end
  push_timeline(inc, {v = version, at = now, k = entry, fp = fp, t = al.t}, max)

  if status == 'resolved' and firing == 0 then
    local nxt = T.alertsResolved[state]
    if is_move(nxt) then
      state = nxt
      resolved_now = 1
      redis.call('HSET', h, 'state', state, 'resolved_at', now, 'resolved_by', '')
      redis.call('ZREM', active, id)
      push_timeline(inc, {v = version, at = now, k = 'state', to = state, by = ''}, max)
      expire_all(inc, reopen_ms, retention_ms)
    end
  end

  if al.g > 0 then
    local group = KEYS[al.g]
    if status == 'firing' then redis.call('SADD', group, id .. '|' .. fp) else redis.call('SREM', group, id .. '|' .. fp) end
    redis.call('PEXPIRE', group, retention_ms)
  end
  local flush = redis.call('HSETNX', h, 'flush_requested', '1')
  return {id, created, 1, reopened, resolved_now, state, firing, total, version, flush}
end

local out = {}
for _, al in ipairs(a.alerts) do
  for _, v in ipairs(apply_one(al)) do out[#out + 1] = v end
end
return out
