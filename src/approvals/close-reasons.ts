/**
 * Why a plan stopped waiting for approval without a person deciding on it: the `decided_by` a superseded
 * plan's record keeps (src/approvals/consume.ts `supersedePlan`), and the one reading of it that both the
 * plan message (src/response/propose.ts `planViewOf`) and the refusal a late click gets
 * (src/approvals/rules.ts `refusalFor`) use, so the two never tell different stories.
 */

/** `decided_by` of a plan closed because its incident resolved. */
export const INCIDENT_RESOLVED = 'incident-resolved';

/** `decided_by` of a plan closed because its incident's new diagnosis matches no runbook. */
export const DIAGNOSIS_CHANGED = 'diagnosis-changed';

/** `decided_by` of a plan closed because Slack refused its first post (the bot cannot post in its channel). */
export const PLAN_NOT_SHARED = 'not-shared';

/** `decided_by` of a plan replaced by a newer plan of its incident: this prefix, then the newer plan's id. */
export const NEWER_PLAN = 'newer:';

export type SupersededReason =
  | { readonly kind: 'closed'; readonly why: 'incident_resolved' | 'diagnosis_changed' | 'not_shared' }
  /** Another plan of the same failure ran (its `decided_by` is that plan's id). */
  | { readonly kind: 'ran_instead'; readonly byPlan: string }
  | { readonly kind: 'newer'; readonly byPlan?: string | undefined };

export function supersededReason(decidedBy: string | null | undefined): SupersededReason {
  if (decidedBy === INCIDENT_RESOLVED) return { kind: 'closed', why: 'incident_resolved' };
  if (decidedBy === DIAGNOSIS_CHANGED) return { kind: 'closed', why: 'diagnosis_changed' };
  if (decidedBy === PLAN_NOT_SHARED) return { kind: 'closed', why: 'not_shared' };
  if (decidedBy?.startsWith('pl-')) return { kind: 'ran_instead', byPlan: decidedBy };
  const newer = decidedBy?.startsWith(NEWER_PLAN) ? decidedBy.slice(NEWER_PLAN.length) : '';
  return { kind: 'newer', byPlan: newer || undefined };
}
