/**
 * Who may approve a plan, and what a refused click is told. Pure: group membership is passed in, the
 * clock is passed in. The atomic state checks (single use, expiry, plan hash, two-person rule) happen in
 * `consume.ts`; this module turns their answers into sentences.
 */
import type { PlanApproval } from '../response/plan.js';

/** Members of Slack user groups, as configured (`APPROVAL_GROUPS`) or looked up. */
export type GroupMembers = ReadonlyMap<string, ReadonlySet<string>>;

/** `<@U1>, <@U2> or a member of <!subteam^S1>` — Slack mention syntax for the plan and refusals. */
export function describeApprovers(approval: Pick<PlanApproval, 'users' | 'groups'>): string {
  const parts = [...approval.users.map((u) => `<@${u}>`), ...approval.groups.map((g) => `a member of <!subteam^${g}>`)];
  if (parts.length === 0) return 'nobody (the runbook names no approver)';
  if (parts.length === 1) return parts[0] ?? '';
  return `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}`;
}

export function isAllowedApprover(approval: Pick<PlanApproval, 'users' | 'groups'>, userId: string, groups: GroupMembers): boolean {
  if (approval.users.includes(userId)) return true;
  return approval.groups.some((g) => groups.get(g)?.has(userId) === true);
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

function hhmm(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 16)} UTC`;
}

/**
 * The ephemeral sentence for a click that did not (or not yet) run anything. `null` when the click ran
 * the plan (nothing to explain).
 */
export function explainAnswer(answer: ConsumeAnswer, approval: Pick<PlanApproval, 'users' | 'groups'>): string | null {
  switch (answer.kind) {
    case 'approved':
    case 'rejected':
      return null;
    case 'recorded':
      return `Your approval is recorded (${answer.approvers.length} of ${answer.required}). This runbook needs a second, different approver: ${describeApprovers(approval)}.`;
    case 'same_approver':
      return `You have already approved this plan. The two-person rule needs a second, different approver: ${describeApprovers(approval)}.`;
    case 'missing':
      return 'This plan is no longer known to the bot (it was never stored or has been cleaned up). Ask for a fresh plan with `/autogen recover <agent>`.';
    case 'decided': {
      const verb = answer.status === 'rejected' ? 'rejected' : answer.status === 'superseded' ? 'replaced by a newer plan' : 'approved and has run';
      const who = answer.by ? ` by <@${answer.by}>` : '';
      const when = answer.at ? ` at ${hhmm(answer.at)}` : '';
      return `Nothing was done: this plan was already ${verb}${answer.status === 'superseded' ? '' : `${who}${when}`}. Each plan runs at most once.`;
    }
    case 'stale':
      return 'Nothing was done: the plan changed after this button was shown (the runtime or the incident moved on). Review the current plan in the thread and approve that one.';
    case 'expired':
      return `Nothing was done: this approval expired at ${hhmm(answer.expiredAt)}. Click "New plan" to get a fresh plan for the current state.`;
  }
}

/** The refusal for someone who may not approve. */
export function explainNotAllowed(approval: Pick<PlanApproval, 'users' | 'groups'>, verb: 'approve' | 'reject' = 'approve'): string {
  return `You are not allowed to ${verb} this plan. Who can: ${describeApprovers(approval)}.`;
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
    if (!/^S[A-Z0-9]{2,}$/.test(group)) {
      problems.push(`"${entry}": expected S<GROUPID>=U<USER>,U<USER>`);
      continue;
    }
    const users = entry.slice(eq + 1).split(',').map((u) => u.trim()).filter(Boolean);
    const bad = users.filter((u) => !/^[UW][A-Z0-9]{2,}$/.test(u));
    if (bad.length > 0) problems.push(`"${entry}": not Slack user ids: ${bad.join(', ')}`);
    const set = groups.get(group) ?? new Set<string>();
    for (const u of users) if (!bad.includes(u)) set.add(u);
    groups.set(group, set);
  }
  return { groups, problems };
}
