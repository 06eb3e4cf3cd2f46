/**
 * One voice per problem: alerts of different sources — the bot's monitor and Alertmanager — about the same
 * runtime, agent and condition (src/incidents/conditions.ts) are one entry in the incident, not one per
 * source. Within one source nothing changes: Alertmanager's alerts of five instances stay five entries.
 *
 * Per voice key, Redis keeps every source alert's latest event (its *voice*) and which source *speaks*:
 * the source whose alerts the incident holds for that key. Decided atomically per event
 * (src/redis/scripts/incident-voice.lua), before
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
