/**
 * The recovery plan message posted in an incident thread: the exact steps, their targets, the state the
 * bridge predicts before and after each, the risk, how it will be verified, who may approve until when,
 * and Approve / Reject buttons with confirmation dialogs. After a decision the same message is rebuilt
 * with who decided and when, and without buttons. Pure.
 */
import type { Approver } from '../../approvals/rules.js';
import { describeApprovers, excludedRequester } from '../../approvals/rules.js';
import { PLAN_ACTIONS, encodeButtonValue } from '../../approvals/buttons.js';
import type { LinkedPlanView, PlanView } from '../../response/plan-view.js';
import { renderRich } from './rich-text.js';
import { hhmm } from '../../text/time.js';
import type { Plan, PlannedAction, ResolvedCheck } from '../../response/plan.js';
import { describeCall } from '../../response/bridge-actions.js';
import { SLACK_LIMITS, truncate } from './limits.js';
import { code, escapeShort, escapeText, joinMd, link, md, mention, truncateMd, withoutBold, type Mrkdwn } from './mrkdwn.js';
import { context, header, plainText, section, type Block, type ConfirmDialog } from './vocabulary.js';

type ConfirmationDialog = ConfirmDialog;

export { PLAN_ACTIONS, decodeButtonValue, encodeButtonValue, type PlanButtonValue } from '../../approvals/buttons.js';
export type { LinkedPlanView, PlanView } from '../../response/plan-view.js';

const RISK_BADGE = { low: md`:large_green_circle: low`, medium: md`:large_orange_circle: medium`, high: md`:red_circle: high` } as const;

function minutes(s: number): string {
  return s % 60 === 0 && s >= 60 ? `${s / 60} min` : `${s} s`;
}

/**
 * `isolated: false → true` for the keys that change; the whole state when nothing changes. `names`: agent
 * types in the values are shown by the plan's names for them (`support/triage`).
 */
export function describeChange(before: Readonly<Record<string, unknown>>, after: Readonly<Record<string, unknown>>, names?: Plan['names']): string {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  const named = (v: unknown): unknown => (typeof v === 'string' ? names?.[v] ?? v : Array.isArray(v) ? v.map(named) : v);
  const fmt = (v: unknown): string => (v === undefined ? '—' : JSON.stringify(named(v)));
  const changed = keys.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  if (changed.length === 0) return `no change (${keys.map((k) => `${k}: ${fmt(before[k])}`).join(', ') || 'no state'})`;
  return changed.map((k) => `${k}: ${fmt(before[k])} → ${fmt(after[k])}`).join(', ');
}

/** A name in backticks, as plain text (a backtick in it cannot close the span once escaped as mrkdwn). */
const quoted = (name: string): string => `\`${name.replace(/`/g, "'")}\``;

/** "isolate `ToolAgent` (mode refuse)" as mrkdwn — one line per action, used in plans, outcomes and escalations. */
export function describeAction(a: Pick<PlannedAction, 'action' | 'target' | 'body'>, names?: Plan['names']): Mrkdwn {
  return escapeText(describeActionText(a, names));
}

/**
 * The same line as plain text (names in backticks), for notes, audit and attempts that are escaped when shown.
 * `names`: the plan's names for agent types (an AgentChat participant is shown as `support/triage`, not by
 * the registered type its team id makes unique).
 */
export function describeActionText(a: Pick<PlannedAction, 'action' | 'target' | 'body'>, names?: Plan['names']): string {
  return describeCall(a, names);
}

export function describeCheck(c: ResolvedCheck, names?: Plan['names']): Mrkdwn {
  return escapeText(describeCheckText(c, names));
}

function describeCheckText(c: ResolvedCheck, names?: Plan['names']): string {
  const code = (name: string): string => quoted(names?.[name] ?? name);
  const on = c.targets === null ? '' : ` (${c.targets.map(code).join(', ')})`;
  switch (c.check) {
    case 'isolated': return `isolated${on}`;
    case 'no_deliveries': return `no messages delivered${on}`;
    case 'new_errors_at_most': return `at most ${c.max} new errors${on}`;
    case 'error_rate_at_most': return `error rate ≤ ${(c.max * 100).toFixed(1)} %${on}`;
    case 'backpressured': return `in-flight limit set${on}`;
    case 'inflight_at_most': return `in-flight ≤ ${c.max}${on}`;
    case 'queue_depth_at_most': return `queue depth ≤ ${c.max}`;
    case 'rss_at_most_mb': return `RSS ≤ ${c.max_mb} MB`;
    case 'rss_not_growing': return `RSS not growing (≤ +${(c.tolerance * 100).toFixed(0)} %)`;
    case 'features_disabled': return `features off: ${c.features.map(code).join(', ')}`;
    case 'runtime_degraded': return 'runtime in degraded mode';
    case 'agent_running': return `agent running, no new construction errors${on}`;
    case 'handling_messages': return `handles ≥ ${c.min} message(s)${on}`;
    case 'latency_p95_at_most_ms': return `p95 latency ≤ ${c.max_ms} ms${on}`;
  }
}

function actionLine(plan: Plan, a: PlannedAction): Mrkdwn {
  const lines = [md`*${a.index + 1}.* ${describeAction(a, plan.names)}${a.temporary ? md` — temporary, reverts after ${escapeText(minutes(plan.ttlS))} unless kept` : md``}`];
  if (a.why) lines.push(md`_${escapeText(a.why)}_`);
  if (a.predicted) {
    lines.push(md`Predicted: ${escapeText(describeChange(a.predicted.before, a.predicted.after, plan.names))}`);
    if (a.predicted.teamEffect) lines.push(md`:busts_in_silhouette: *Team:* ${escapeText(a.predicted.teamEffect)}`);
  }
  return joinMd(lines, '\n');
}

/** The confirmation dialog of the Approve button (Slack: title ≤ 100, text ≤ 300). */
function approveConfirm(plan: Plan, approvals: number): ConfirmationDialog {
  const steps = plan.actions.map((a) => describeActionText(a, plan.names).replace(/`/g, '')).join('; ');
  const instead = plan.subject.actsInstead;
  const warn = instead && instead.length > 0 && plan.subject.agent ? `Not ${plan.subject.agent}: acts on ${instead.join(', ')}. ` : '';
  const lead = plan.approval.required > 1
    ? `${warn}Your approval will be ${approvals + 1} of ${plan.approval.required}. `
    : `${warn}This runs ${plan.actions.length} action(s) on runtime ${plan.runtime} now: `;
  return {
    title: { type: 'plain_text', text: truncate('Approve this recovery plan?', SLACK_LIMITS.confirmTitle) },
    text: plainText(`${lead}${steps}`, SLACK_LIMITS.confirmText),
    confirm: { type: 'plain_text', text: plan.approval.required > 1 && approvals === 0 ? 'Approve' : 'Approve and run' },
    deny: { type: 'plain_text', text: 'Cancel' },
    style: plan.risk === 'high' ? 'danger' : 'primary',
  };
}

function rejectConfirm(): ConfirmationDialog {
  return {
    title: { type: 'plain_text', text: 'Reject this plan?' },
    text: { type: 'plain_text', text: 'Nothing will run. A new plan can be asked for with /autogen recover <agent>.' },
    confirm: { type: 'plain_text', text: 'Reject' },
    deny: { type: 'plain_text', text: 'Cancel' },
    style: 'danger',
  };
}

function approverList(approvers: readonly Approver[]): Mrkdwn {
  return joinMd(approvers.map((a) => md`${mention(a.user)} at ${escapeText(hhmm(a.at))}`), ' and ');
}

/** The plan message for `state`; `text` is the notification fallback. */
export function buildPlanMessage(plan: Plan, state: PlanView): { text: Mrkdwn; blocks: Block[] } {
  const blocks: Block[] = [];
  blocks.push(header(`Recovery plan: ${plan.runbookTitle}`));
  const instead = plan.subject.actsInstead;
  if (instead && instead.length > 0 && plan.subject.agent) {
    // Said first and plainly: approving acts on other agents than the one asked about.
    blocks.push(section(md`:warning: *This plan does not act on ${code(plan.subject.agent)}*: it acts on ${joinMd(instead.map((t) => code(t)), ', ')}${plan.matchReasons.length ? md`, because it matched on ${escapeText(plan.matchReasons.join(', '))}` : md``}.`));
  }
  const who = plan.trigger === 'incident' ? md`proposed for the incident` : md`requested by ${mention(plan.requestedBy)}`;
  blocks.push(section(joinMd([
    md`*Runtime* ${code(plan.runtime)}  ·  *Risk* ${RISK_BADGE[plan.risk]}  ·  ${who}${plan.incidentId ? md`  ·  *Incident* ${code(plan.incidentId)}` : md``}`,
    ...(plan.matchReasons.length ? [md`Matched on ${escapeText(plan.matchReasons.join(', '))}`] : []),
  ], '\n')));
  // One section per action, bounded so the whole message stays under Slack's 50 blocks.
  const shown = plan.actions.slice(0, 40);
  for (const a of shown) blocks.push(section(actionLine(plan, a)));
  if (plan.actions.length > shown.length) blocks.push(context([md`…and ${plan.actions.length - shown.length} more action(s)`]));
  if (plan.teamEffect) blocks.push(context([md`:busts_in_silhouette: *What this runbook does to a team:* ${escapeText(plan.teamEffect)}`]));
  blocks.push(context([md`*Verify* after ${plan.settleS} s: ${joinMd(plan.checks.map((c) => describeCheck(c, plan.names)), '; ')}`]));

  const notRequester = excludedRequester(plan, false) ? md`, not the requester` : md``;
  const approvalRule = md`${renderRich(describeApprovers(plan.approval))}${notRequester}${plan.approval.required > 1 ? md` — two different people must approve` : md``}`;
  const ref = md`plan ${code(plan.id)} · #${escapeText(plan.hash.slice(0, 8))}`;
  const value = encodeButtonValue(plan.id, plan.hash);
  switch (state.status) {
    case 'pending': {
      const got = state.approvers.length ? md`  ·  approved so far by ${approverList(state.approvers)} (${state.approvers.length} of ${plan.approval.required})` : md``;
      blocks.push(context([md`*Who can approve:* ${approvalRule}  ·  expires ${escapeText(hhmm(Date.parse(plan.expiresAt)))}${got}  ·  ${ref}`]));
      if (state.note) blocks.push(section(md`:warning: ${escapeText(state.note)}`));
      blocks.push({
        type: 'actions',
        block_id: `plan_${plan.id}`.slice(0, 255),
        elements: [
          { type: 'button', action_id: PLAN_ACTIONS.approve, text: { type: 'plain_text', text: 'Approve' }, style: 'primary', value, confirm: approveConfirm(plan, state.approvers.length) },
          { type: 'button', action_id: PLAN_ACTIONS.reject, text: { type: 'plain_text', text: 'Reject' }, style: 'danger', value, confirm: rejectConfirm() },
        ],
      });
      break;
    }
    case 'approved':
      blocks.push(context([state.auto
        ? md`:white_check_mark: Ran without approval (low-risk runbook with auto-run enabled)  ·  ${ref}`
        : md`:white_check_mark: *Approved* by ${approverList(state.approvers)} — running now; the outcome follows in this thread  ·  ${ref}`]));
      break;
    case 'rejected':
      blocks.push(context([md`:x: *Rejected* by ${mention(state.by)} at ${escapeText(hhmm(state.at))} — nothing ran  ·  ${ref}`]));
      break;
    case 'expired':
      blocks.push(context([md`:hourglass: *Expired* at ${escapeText(hhmm(state.at))} without approval — nothing ran  ·  ${ref}`]));
      blocks.push({
        type: 'actions',
        block_id: `plan_${plan.id}`.slice(0, 255),
        elements: [{ type: 'button', action_id: PLAN_ACTIONS.replan, text: { type: 'plain_text', text: 'New plan' }, value }],
      });
      break;
    case 'superseded':
      blocks.push(context([state.byPlan
        ? md`:arrows_counterclockwise: Not needed: plan ${code(state.byPlan)} for the same agents ran at ${escapeText(hhmm(state.at))} — this thread follows it  ·  ${ref}`
        : md`:arrows_counterclockwise: Replaced by a newer plan at ${escapeText(hhmm(state.at))} — see below  ·  ${ref}`]));
      break;
    case 'closed':
      blocks.push(context([state.why === 'diagnosis_changed'
        ? md`:arrows_counterclockwise: *Closed* at ${escapeText(hhmm(state.at))}: the diagnosis changed; this plan no longer matches — no runbook matches the new finding. Nothing ran  ·  ${ref}`
        : md`:white_check_mark: *Closed* at ${escapeText(hhmm(state.at))}: incident resolved, nothing ran  ·  ${ref}`]));
      break;
  }
  const statusWord = state.status === 'pending' ? 'awaiting approval' : state.status;
  const other = instead && instead.length > 0 && plan.subject.agent ? ` — acts on ${instead.join(', ')}, not on ${plan.subject.agent} as asked` : '';
  const text = escapeText(`Recovery plan for runtime ${plan.runtime}: ${plan.runbookTitle} (${plan.risk} risk)${other} — ${statusWord}`);
  return { text: truncateMd(text, SLACK_LIMITS.messageText), blocks: blocks.slice(0, SLACK_LIMITS.blocksPerMessage) };
}

/** The message when no runbook can act right now (nothing matched, or its targets do not exist). */
export function buildNoPlanMessage(runtime: string, reasons: readonly string[]): { text: Mrkdwn; blocks: Block[] } {
  const lines = reasons.length ? joinMd(reasons.map((r) => md`• ${escapeText(r)}`), '\n') : md`• no runbook matches this incident`;
  return {
    text: md`No recovery plan for runtime ${escapeShort(runtime, 200)}`,
    blocks: [section(md`:information_source: *No recovery plan* for runtime ${code(runtime)}:\n${lines}\nSee \`runbooks/\` and docs/runbooks.md to add one.`)],
  };
}

const VERDICT_WORDS = {
  resolved: 'resolved',
  mitigated: 'mitigated, cause still present',
  not_effective: 'not effective',
  unresolved: 'not resolved',
} as const;

/** "The same recovery plan already …": one plan per runtime, agents acted on and runbook. */
export function buildLinkedPlanMessage(plan: Plan, v: LinkedPlanView): { text: Mrkdwn; blocks: Block[] } {
  const ref = v.link ? link(v.link, `plan ${plan.id}`) : code(plan.id);
  const steps = joinMd(plan.actions.map((a) => describeAction(a, plan.names)), '; ');
  const who = joinMd(v.approvers.map(mention), ' and ');
  const where = v.liveness === 'pending'
    ? md`is waiting for approval (until ${escapeText(hhmm(Date.parse(plan.expiresAt)))}) — approve or reject it there`
    : v.liveness === 'running'
      ? md`was approved${who ? md` by ${who}` : md``} and is running`
      : md`ran${who ? md` (approved by ${who})` : md``} and is in force${v.revertAt ? md` until ${escapeText(hhmm(Date.parse(v.revertAt)))}` : md``}${v.verdict ? md` — ${escapeText(VERDICT_WORDS[v.verdict])}` : md``}`;
  const follow = v.incidentLinked
    ? v.liveness === 'pending' ? md` This incident follows it: it moves to mitigating when the plan runs, then as its verification says.` : md` This incident follows it and is now mitigating.`
    : md``;
  const text = md`:link: The same recovery plan for these agents on ${code(plan.runtime)} (${code(plan.runbookId)}: ${steps}) ${where}: ${ref}.${follow}`;
  return { text: truncateMd(withoutBold(text, { code: true }), SLACK_LIMITS.messageText), blocks: [section(text)] };
}
