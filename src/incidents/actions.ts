/**
 * What people do with an incident: the root's buttons (Acknowledge, Resolve, Silence / Unsilence,
 * Diagnose again) and `/autogen incidents`. A refused action is explained to the person who clicked,
 * ephemerally, with a stable code; the thread and the root show accepted changes at once.
 */
import { OpsError, isOpsError } from '../errors.js';
import { refusal, rich, type RichText } from '../view/rich-text.js';
import { diagnoseAgain, type FollowUpContext } from './follow-ups.js';
import type { IncidentAction } from './jobs.js';
import { STATE_LABEL, type IncidentState } from './state.js';
import { requestFlush, rootKey, type ThreadContext } from './thread.js';
import { afterIncidentResolved } from './resolved.js';
import { mergeIntoChosen, offerSameIncident, type MergeContext } from './merge-action.js';
import { visibleTo, type MembershipCheck } from './visibility.js';

export interface ActionRequest {
  readonly incidentId: string;
  readonly action: IncidentAction;
  readonly user: string;
  readonly channel: string;
  readonly silenceS?: number | undefined;
  /** `merge`: the incident this one is the same as. */
  readonly into?: string | undefined;
  readonly requestedAt: Date;
}

async function tell(ctx: FollowUpContext, req: ActionRequest, text: RichText): Promise<void> {
  await ctx.outbox.ephemeral({ channel: req.channel, user: req.user, text });
}

/** Applies a button click; returns what happened (for logs). Refusals are told to the user, not thrown. */
export async function applyIncidentAction(ctx: MergeContext, req: ActionRequest): Promise<string> {
  const nowMs = ctx.now().getTime();
  try {
    const incident = await ctx.store.get(req.incidentId);
    if (!incident) throw new OpsError('INCIDENT_NOT_FOUND', { incident_id: req.incidentId });
    switch (req.action) {
      case 'acknowledge':
      case 'resolve': {
        const r = await ctx.store.transition(req.incidentId, req.action, req.user, nowMs);
        if (r.outcome === 'missing') throw new OpsError('INCIDENT_NOT_FOUND', { incident_id: req.incidentId });
        if (r.outcome === 'invalid') {
          throw new OpsError('INCIDENT_TRANSITION_INVALID', { incident_id: req.incidentId, action: req.action, state: r.state }, { detail: rich`It is ${STATE_LABEL[r.state].toLowerCase()}.` });
        }
        if (r.outcome === 'same') {
          await tell(ctx, req, rich`Nothing to do: the incident is already ${STATE_LABEL[r.state].toLowerCase()}.`);
          return 'unchanged';
        }
        if (req.action === 'resolve') await afterIncidentResolved(ctx, req.incidentId);
        break;
      }
      case 'silence':
      case 'unsilence': {
        if (incident.state === 'resolved') {
          throw new OpsError('INCIDENT_TRANSITION_INVALID', { incident_id: req.incidentId, action: req.action, state: incident.state }, { detail: rich`It is resolved.` });
        }
        const until = req.action === 'silence' ? nowMs + (req.silenceS ?? 3_600) * 1000 : 0;
        if (!(await ctx.store.silence(req.incidentId, until, req.user, nowMs))) throw new OpsError('INCIDENT_NOT_FOUND', { incident_id: req.incidentId });
        break;
      }
      case 'diagnose':
        await diagnoseAgain(ctx, incident, req.user, req.requestedAt);
        return 'diagnosis queued';
      case 'same-as':
        return await offerSameIncident(ctx, { source: incident, user: req.user, channel: req.channel });
      case 'merge':
        return await mergeIntoChosen(ctx, { source: incident, user: req.user, channel: req.channel, into: req.into });
    }
    await requestFlush(ctx, req.incidentId, true);
    return req.action;
  } catch (err) {
    if (!isOpsError(err) || err.transient) throw err;
    ctx.logger.info({ incident_id: req.incidentId, action: req.action, code: err.code }, 'incident action refused');
    await tell(ctx, req, refusal(err));
    return `refused: ${err.code}`;
  }
}

/**
 * `/autogen incidents`: the open incidents the asking user may see — those whose thread is in `channel`
 * (where the command was typed) or in a channel they are a member of (`visibility.ts`) — each with a link
 * to its thread, ephemerally (through `responseUrl` when the bot cannot post in `channel`). Returns how many were listed.
 */
export async function listOpenIncidents(ctx: FollowUpContext, channel: string, user: string, isMember: MembershipCheck, responseUrl?: string): Promise<number> {
  const open = await visibleTo(await ctx.store.listActive(100), channel, user, isMember);
  const withLinks = await Promise.all(open.map(async (inc) => ({ ...inc, rootTs: await ctx.outbox.postedTs(rootKey(inc.id)) })));
  const msg = ctx.presenter.list(withLinks, ctx.now().getTime());
  // the slash command's response_url: the list reaches the person even where the bot cannot post (the outbox)
  await ctx.outbox.ephemeral({ channel, user, text: msg.text, blocks: msg.blocks, ...(responseUrl ? { response_url: responseUrl } : {}) });
  return open.length;
}

/**
 * For the response feature: an approved plan started acting on `incidentId` → the incident is
 * `mitigating` (from open or acknowledged), shown in its thread and root at once. `by`: who approved.
 * Returns the state after, or null for an unknown incident.
 */
export async function markIncidentMitigating(ctx: ThreadContext, incidentId: string, by: string, note = ''): Promise<IncidentState | null> {
  const r = await ctx.store.transition(incidentId, 'mitigate', by, ctx.now().getTime(), note);
  if (r.outcome === 'missing') return null;
  if (r.outcome === 'changed') await requestFlush(ctx, incidentId, true);
  return r.state;
}
