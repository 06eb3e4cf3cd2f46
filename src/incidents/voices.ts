/**
 * One voice per problem: alerts of different sources — the bot's monitor and Alertmanager — about the same
 * runtime, agent and condition (src/incidents/conditions.ts) are one entry in the incident, not one per
 * source. Within one source nothing changes: Alertmanager's alerts of five instances stay five entries.
 *
 * Per voice key, Redis keeps every source alert's latest event (its *voice*) and which source *speaks*:
 * the source whose alerts the incident holds for that key. Decided atomically per event (VOICE), before
 * the store merges it:
 *   the speaking source's alert (or no source speaks yet)     → applied (it speaks from now on)
 *   another source's firing, the speaking source still fires  → dropped: the problem is already shown
 *   another source's firing, the speaking source fires no more → applied: this source speaks from now on
 *   the speaking source's last firing alert resolves while     → handed over: the other source's firing
 *     another source still fires                                 alerts are applied first, then this
 *                                                                resolution (the incident stays open)
 *   another source's resolution                               → applied only if the incident holds that alert
 *                                                                (with the speaking source's firing alerts
 *                                                                again first: idempotent on a retried job)
 * So the incident shows each problem once, and resolves only when no source says it goes on.
 */
import { normalizedAlertSchema, type NormalizedAlert } from './alert.js';
import { voiceKeyOf, type ConditionMap } from './conditions.js';
import type { GroupingRules } from './grouping.js';

/**
 * KEYS[1]: the voice key's hash. ARGV: 1 fingerprint, 2 status, 3 event JSON, 4 ttl ms, 5 source.
 * Fields: `_source` → the speaking source; `v:<fp>` → {s: status, src: source, e: event JSON};
 * `st:<fp>` → 1 once applied. Returns {'pass'} | {'drop'} | {'handover', event JSON…}.
 */
export const VOICE = `
local h = KEYS[1]
local fp = ARGV[1]
local status = ARGV[2]
local src = ARGV[5]
local speaking = redis.call('HGET', h, '_source')
redis.call('HSET', h, 'v:' .. fp, cjson.encode({s = status, src = src, e = ARGV[3]}))
redis.call('PEXPIRE', h, ARGV[4])
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
`;

/** What one-voice needs: the store's atomic decision, the grouping rules and the condition map. */
export interface VoiceContext {
  readonly rules: GroupingRules;
  readonly conditions: ConditionMap;
  decide(voiceKey: string, alert: NormalizedAlert): Promise<{ kind: 'pass' | 'drop' | 'handover'; events?: readonly string[] }>;
}

/**
 * The events to apply for `alerts` (one job's, in order): each alert with a voice key through the decision
 * above; the others as they are.
 */
export async function oneVoice(ctx: VoiceContext, alerts: readonly NormalizedAlert[]): Promise<NormalizedAlert[]> {
  const out: NormalizedAlert[] = [];
  for (const alert of alerts) {
    const key = voiceKeyOf(alert.labels, ctx.rules, ctx.conditions);
    if (key === null) {
      out.push(alert);
      continue;
    }
    const d = await ctx.decide(key, alert);
    if (d.kind === 'drop') continue;
    const handed: NormalizedAlert[] = [];
    for (const raw of d.kind === 'handover' ? (d.events ?? []) : []) {
      const parsed = normalizedAlertSchema.safeParse(JSON.parse(raw));
      if (parsed.success) handed.push(parsed.data);
    }
    // the new speaker's firing alerts before the resolution, so the incident never drops to 0 firing between
    out.push(...handed.sort((x, y) => (x.fingerprint < y.fingerprint ? -1 : x.fingerprint > y.fingerprint ? 1 : 0)));
    out.push(alert);
  }
  return out;
}
