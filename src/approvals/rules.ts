/**
 * Who may approve a plan, and what a refused click is told. Pure: group membership is passed in, the
 * clock is passed in. The atomic state checks (single use, expiry, plan hash, two-person rule) happen in
 * `consume.ts`; this module turns their answers into coded refusals (`src/errors.ts`).
 */
import { OpsError } from '../errors.js';
import { SLACK_GROUP_ID_RE, SLACK_USER_ID_RE } from '../identifiers.js';
import { hhmm } from '../text/time.js';
import { groupMention, joinRich, mention, rich, type RichText } from '../view/rich-text.js';
import type { PlanApproval } from '../response/plan.js';
import { supersededReason } from './close-reasons.js';

/** Members of Slack user groups, as configured (`APPROVAL_GROUPS`) or looked up. */
export type GroupMembers = ReadonlyMap<string, ReadonlySet<string>>;

/** `@alice, @bob or a member of @sre` (user and group mentions) for the plan and refusals. */
export function describeApprovers(approval: Pick<PlanApproval, 'users' | 'groups'>): RichText {
  const parts = [...approval.users.map(mention), ...approval.groups.map((g) => rich`a member of ${groupMention(g)}`)];
  if (parts.length === 0) return rich`nobody (the runbook names no approver)`;
  if (parts.length === 1) return parts[0] ?? rich``;
  return rich`${joinRich(parts.slice(0, -1), ', ')} or ${parts[parts.length - 1] ?? rich``}`;
}

export function isAllowedApprover(approval: Pick<PlanApproval, 'users' | 'groups'>, userId: string, groups: GroupMembers): boolean {
  if (approval.users.includes(userId)) return true;
  return approval.groups.some((g) => groups.get(g)?.has(userId) === true);
}

/** Risks at which the person who asked for a plan never counts as one of its approvers (four eyes). */
const REQUESTER_EXCLUDED_RISKS: ReadonlySet<string> = new Set(['high', 'critical']);
/** `requestedBy` of plans no person asked for (incident-triggered, system): then nobody is excluded. */
const NOT_A_PERSON: ReadonlySet<string> = new Set(['incident', 'system', 'automation']);

/**
 * The user who may not approve a plan because they asked for it, or null. At high or critical risk the
 * requester never counts; `requireOtherPerson` (config APPROVAL_REQUIRE_OTHER_PERSON) extends that to
 * every plan. With the requester excluded, the two-person rule means two people other than the requester.
 */
export function excludedRequester(plan: { readonly risk: string; readonly requestedBy: string }, requireOtherPerson: boolean): string | null {
  if (NOT_A_PERSON.has(plan.requestedBy) || plan.requestedBy === '') return null;
  return requireOtherPerson || REQUESTER_EXCLUDED_RISKS.has(plan.risk) ? plan.requestedBy : null;
}

/** The refusal for the requester approving their own plan when another person must, or null when allowed. */
export function requesterRefusal(
  plan: { readonly risk: string; readonly requestedBy: string; readonly approval: Pick<PlanApproval, 'users' | 'groups'> },
  userId: string,
  requireOtherPerson: boolean,
): OpsError | null {
  if (excludedRequester(plan, requireOtherPerson) !== userId) return null;
  const why = REQUESTER_EXCLUDED_RISKS.has(plan.risk) ? `A ${plan.risk}-risk plan` : 'Every plan (APPROVAL_REQUIRE_OTHER_PERSON)';
  return new OpsError('APPROVAL_BY_REQUESTER', { risk: plan.risk, require_other_person: requireOtherPerson },
    { detail: rich`${why} needs an approval from ${describeApprovers(plan.approval)}, other than its requester.` });
}

/** What the atomic consume answered (see `consume.ts`). */
export type ConsumeAnswer =
  | { kind: 'approved'; approvers: readonly Approver[] }
  | { kind: 'recorded'; approvers: readonly Approver[]; required: number }
  | { kind: 'rejected' }
  | { kind: 'missing' }
  | { kind: 'decided'; status: string; by: string; at: number }
  | { kind: 'stale' }
  | { kind: 'expired'; expiredAt: number }
  | { kind: 'same_approver'; required: number };

export interface Approver {
  readonly user: string;
  /** Epoch milliseconds. */
  readonly at: number;
}

/**
 * The coded refusal for a click that did not run the plan (the ephemeral the user sees), or null when
 * the click ran it or was rejected as asked. `recorded` (first of two approvals) is not an error but
 * still needs a sentence: see `explainRecorded`.
 */
export function refusalFor(answer: ConsumeAnswer, approval: Pick<PlanApproval, 'users' | 'groups'>): OpsError | null {
  switch (answer.kind) {
    case 'approved':
    case 'rejected':
    case 'recorded':
      return null;
    case 'same_approver':
      return new OpsError('APPROVAL_SAME_PERSON', { required: answer.required }, { detail: rich`Still needed: an approval from ${describeApprovers(approval)}.` });
    case 'missing':
      return new OpsError('PLAN_NOT_FOUND', {});
    case 'decided': {
      const when = answer.at ? rich` at ${hhmm(answer.at)}` : rich``;
      const data = { status: answer.status, by: answer.by, at: answer.at };
      if (answer.status === 'superseded') {
        const [what, because] = supersededWords(answer.by);
        return new OpsError('PLAN_ALREADY_DECIDED', data, { detail: rich`It was ${what}${when}${because}.` });
      }
      const what = answer.status === 'rejected' ? 'rejected' : 'approved';
      const who = answer.by ? rich` by ${mention(answer.by)}` : rich``;
      const ran = answer.status === 'approved' ? rich` and has run` : rich``;
      return new OpsError('PLAN_ALREADY_DECIDED', data, { detail: rich`It was ${what}${who}${when}${ran}.` });
    }
    case 'stale':
      return new OpsError('PLAN_STALE', {});
    case 'expired':
      return new OpsError('APPROVAL_EXPIRED', { expired_at: answer.expiredAt }, { detail: rich`It expired at ${hhmm(answer.expiredAt)}.` });
  }
}

const CLOSED_BECAUSE = {
  incident_resolved: ': its incident resolved',
  diagnosis_changed: ': the incident\'s diagnosis changed and this plan no longer matches it',
  not_shared: ': the bot could not post it in its channel',
} as const;

/** Why a late click finds the plan gone, in the words its message uses (`planViewOf`, src/response/propose.ts). */
function supersededWords(decidedBy: string): readonly [what: string, because: string] {
  const reason = supersededReason(decidedBy);
  switch (reason.kind) {
    case 'newer':
      return ['replaced by a newer plan', ''];
    case 'ran_instead':
      return ['closed', `: another plan for the same failure ran (${reason.byPlan})`];
    case 'closed':
      return ['closed', CLOSED_BECAUSE[reason.why]];
  }
}

/** The sentence for the first of two approvals under the two-person rule. */
export function explainRecorded(approvers: readonly Approver[], required: number, approval: Pick<PlanApproval, 'users' | 'groups'>): RichText {
  return rich`✅ Your approval is recorded (${approvers.length} of ${required}). The two-person rule needs a second, different approver: ${describeApprovers(approval)}.`;
}

/** The refusal for someone who may not decide on the plan. */
export function notAllowed(approval: Pick<PlanApproval, 'users' | 'groups'>): OpsError {
  return new OpsError('APPROVER_NOT_ALLOWED', {}, { detail: rich`Who can: ${describeApprovers(approval)}.` });
}

/** Parses `APPROVAL_GROUPS` (`S0SRE=U1,U2;S0ONCALL=U3`) into a membership map; bad entries are reported. */
export function parseGroupMembers(text: string): { groups: Map<string, Set<string>>; problems: string[] } {
  const groups = new Map<string, Set<string>>();
  const problems: string[] = [];
  for (const raw of text.split(';')) {
    const entry = raw.trim();
    if (!entry) continue;
    const eq = entry.indexOf('=');
    const group = eq === -1 ? '' : entry.slice(0, eq).trim();
    if (!SLACK_GROUP_ID_RE.test(group)) {
      problems.push(`"${entry}": expected S<GROUPID>=U<USER>,U<USER>`);
      continue;
    }
    const users = entry.slice(eq + 1).split(',').map((u) => u.trim()).filter(Boolean);
    const bad = users.filter((u) => !SLACK_USER_ID_RE.test(u));
    if (bad.length > 0) problems.push(`"${entry}": not Slack user ids: ${bad.join(', ')}`);
    const set = groups.get(group) ?? new Set<string>();
    for (const u of users) if (!bad.includes(u)) set.add(u);
    groups.set(group, set);
  }
  return { groups, problems };
}
