/**
 * The "Same incident as…" button of an incident's root and the choice that follows (docs/alerting.md,
 * "Merging two incidents by hand"):
 * - `same-as`: the person who clicked gets, ephemerally, the other open incidents of the channel to choose from;
 * - `merge`: the chosen one absorbs this one (src/incidents/merge.ts), both threads say so with a link to
 *   the other, both roots are edited at once, and the merge is audited (`incident.merged`).
 * Who may: anyone who can use the root's buttons — the channel's members — as for Resolve. A refusal (same
 * incident, resolved, another channel) is audited (`incident.merge_refused`) and explained to the person.
 */
import type { RedisClient } from '../redis/connect.js';
import { appendAudit } from '../audit/stream.js';
import { OpsError } from '../errors.js';
import { rich } from '../view/rich-text.js';
import type { FollowUpContext } from './follow-ups.js';
import { mergeIncidents } from './merge.js';
import { afterIncidentResolved } from './resolved.js';
import type { Incident } from './store.js';
import { requestFlush, rootKey } from './thread.js';

export interface MergeContext extends FollowUpContext {
  /** Where merges run and are audited (set by `incidentContext`). */
  readonly merging?: { readonly redis: RedisClient; readonly keyPrefix: string };
}

export interface SameIncidentRequest {
  readonly source: Incident;
  readonly user: string;
  readonly channel: string;
  /** `merge`: the incident chosen. */
  readonly into?: string | undefined;
}

const REASONS = {
  same: 'it is the same incident',
  missing: 'one of them no longer exists',
  resolved: 'one of them is resolved',
  channel: 'they are in different channels',
} as const;

/** Shows the person the other open incidents of the channel (an ephemeral with a select menu). */
export async function offerSameIncident(ctx: MergeContext, req: SameIncidentRequest): Promise<string> {
  if (req.source.state === 'resolved') {
    throw new OpsError('INCIDENT_MERGE_REFUSED', { incident_id: req.source.id, reason: 'resolved' }, { detail: rich`This incident is resolved.` });
  }
  const others = (await ctx.store.listActive(200)).filter((o) => o.channel === req.source.channel && o.id !== req.source.id);
  const msg = ctx.presenter.mergeChoices(req.source, others, ctx.now().getTime());
  await ctx.outbox.ephemeral({ channel: req.channel, user: req.user, text: msg.text, blocks: msg.blocks });
  return `offered ${others.length} incident(s)`;
}

/** Merges `source` into the chosen incident. */
export async function mergeIntoChosen(ctx: MergeContext, req: SameIncidentRequest): Promise<string> {
  const into = req.into;
  if (!into) throw new OpsError('ACTION_PAYLOAD_INVALID', { action_id: 'incident:merge' });
  if (!ctx.merging) throw new Error('mergeIntoChosen: the incident context has no `merging` (build it with incidentContext)');
  const { redis, keyPrefix } = ctx.merging;
  const nowMs = ctx.now().getTime();
  const at = new Date(nowMs).toISOString();
  const [sourceTs, targetTs] = await Promise.all([ctx.outbox.postedTs(rootKey(req.source.id)), ctx.outbox.postedTs(rootKey(into))]);
  const r = await mergeIncidents(redis, { keyPrefix, timelineMax: ctx.store.options.timelineMax, retentionMs: ctx.store.options.retentionMs }, {
    sourceId: req.source.id, targetId: into, by: req.user, nowMs, targetRootTs: targetTs ?? null,
  });
  if (r.outcome === 'refused') {
    await appendAudit(redis, keyPrefix, { type: 'incident.merge_refused', at, actor: req.user, incident_id: req.source.id, runtime: req.source.runtime, data: { into, reason: r.reason } });
    throw new OpsError('INCIDENT_MERGE_REFUSED', { incident_id: req.source.id, into, reason: r.reason }, { detail: rich`Not merged: ${REASONS[r.reason]}.` });
  }
  const target = await ctx.store.get(into);
  await appendAudit(redis, keyPrefix, {
    type: 'incident.merged', at, actor: req.user, incident_id: req.source.id, runtime: req.source.runtime,
    data: { into, moved: r.moved, from_title: req.source.title, into_title: target?.title ?? '', agents: req.source.agents },
  });
  if (target) {
    const notes = ctx.presenter.mergeNotes(req.source, target, r.moved, req.user, { source: sourceTs ?? null, target: targetTs ?? null });
    await Promise.all([
      ctx.outbox.post({ channel: req.source.channel, thread_ts_key: rootKey(req.source.id), text: notes.source, priority: 'normal' }, `inc-merged-${req.source.id}`),
      ctx.outbox.post({ channel: target.channel, thread_ts_key: rootKey(into), text: notes.target, priority: 'normal' }, `inc-merged-${req.source.id}-into-${into}`),
    ]);
  }
  await Promise.all([requestFlush(ctx, req.source.id, true), requestFlush(ctx, into, true)]);
  // The merged incident is closed: its plans still awaiting approval close too (unless the other uses them).
  await afterIncidentResolved(ctx, req.source.id);
  ctx.logger.info({ incident_id: req.source.id, into, moved: r.moved, user: req.user }, 'incident merged by hand');
  return `merged into ${into}`;
}
