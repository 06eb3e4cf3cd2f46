/**
 * The `plan:` buttons, in the bot process after the ack: Approve / Reject (atomic consume of the approval
 * record, then the execute job), New plan (an expired plan asked for again), Keep / Revert now (queued to
 * the `verify` worker). Every refusal is an ephemeral with a coded error that says why and who can act;
 * every decision and refusal lands in the audit log.
 */
import type { RedisClient } from '../redis/connect.js';
import { isOpsError, OpsError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../outbox/index.js';
import type { Queues } from '../queues/queues.js';
import type { AuditInput } from '../audit/stream.js';
import { planMessageKey, planViewOf } from '../response/propose.js';
import { readAutomation } from '../response/safety.js';
import { decodeButtonValue, PLAN_ACTIONS } from './buttons.js';
import type { ApprovalPresenter } from './presenter.js';
import { consumeApproval, loadPlan, rejectPlan, type PlanRecord } from './consume.js';
import type { GroupDirectory } from './groups.js';
import { explainRecorded, isAllowedApprover, notAllowed, refusalFor, requesterRefusal } from './rules.js';
import { rich } from '../view/rich-text.js';

export interface ClickDeps {
  readonly redis: RedisClient;
  /** Our Redis key prefix (trailing ':'). */
  readonly prefix: string;
  readonly outbox: Outbox;
  /** How refusals and the rebuilt plan message are shown (wired by the plan listener: src/slack/presenters). */
  readonly presenter: ApprovalPresenter;
  readonly queues: Queues;
  readonly logger: Logger;
  /** Members of the user groups plans name: configured (`APPROVAL_GROUPS`) and Slack's (`usergroups.users.list`, cached). */
  readonly groups: Pick<GroupDirectory, 'membersOf'>;
  readonly dryRunOnly: boolean;
  /** Config APPROVAL_REQUIRE_OTHER_PERSON: the requester never approves any plan (always so at high risk). */
  readonly requireOtherPerson: boolean;
  now(): Date;
  audit(event: AuditInput): Promise<void>;
  /** Enqueue bounded in time (the listener's `enqueueWithin`). */
  enqueue(queue: 'execute' | 'verify' | 'respond', payload: Record<string, unknown>, jobId: string): Promise<string>;
}

export interface PlanClick {
  readonly actionId: string;
  readonly value: string | undefined;
  readonly user: string;
  readonly channel: string;
  /** The clicked message (absent on an ephemeral). */
  readonly messageTs: string | undefined;
  /** Unique per click (Slack's trigger_id or action_ts). */
  readonly requestId: string;
}

/** What the click did, for logs and tests. */
export type ClickResult =
  | { kind: 'approved' | 'recorded' | 'rejected' | 'replan' | 'queued'; planId: string }
  | { kind: 'refused'; code: string; planId: string | null };

export async function handlePlanClick(deps: ClickDeps, click: PlanClick): Promise<ClickResult> {
  const now = deps.now();
  const log = deps.logger.child({ surface: 'plan', action_id: click.actionId, user: click.user });
  const value = decodeButtonValue(click.value);
  let rec: PlanRecord | null = null;

  const refuse = async (err: OpsError, extra: Record<string, unknown> = {}): Promise<ClickResult> => {
    log.info({ code: err.code, plan_id: value?.p }, 'plan click refused');
    const expired = err.code === 'APPROVAL_EXPIRED' && value;
    // an expired plan's refusal offers "New plan"
    await deps.outbox.ephemeral({ channel: click.channel, user: click.user, ...deps.presenter.refusal(err, expired ? value : undefined) });
    if (value) {
      await deps.audit({
        type: 'approval.refused', at: now.toISOString(), actor: click.user, plan_id: value.p, incident_id: rec?.plan.incidentId ?? null,
        runtime: rec?.plan.runtime ?? null, runbook_id: rec?.plan.runbookId ?? null, data: { action: click.actionId, code: err.code, reason: err.message, ...extra },
      });
    }
    return { kind: 'refused', code: err.code, planId: value?.p ?? null };
  };

  if (!value) return refuse(new OpsError('ACTION_PAYLOAD_INVALID', { action_id: click.actionId }));
  rec = await loadPlan(deps.redis, deps.prefix, value.p);
  if (!rec) return refuse(new OpsError('PLAN_NOT_FOUND', { plan_id: value.p }));
  const plan = rec.plan;

  if (click.actionId === PLAN_ACTIONS.replan) {
    await deps.enqueue('respond', {
      kind: 'plan', runtime: plan.runtime, channel: plan.channel, user: click.user,
      ...(plan.threadTs ? { thread_ts: plan.threadTs } : plan.threadTsKey ? { thread_ts_key: plan.threadTsKey } : {}),
      ...(plan.subject.agent ? { agent: plan.subject.agent } : {}), agents: [...plan.subject.agents],
      ...(plan.incidentId ? { incident_id: plan.incidentId } : {}), labels: { ...plan.subject.labels }, findings: [...plan.subject.findings],
      ...(plan.subject.runbook ? { runbook: plan.subject.runbook } : { runbook: plan.runbookId }),
      source: 'replan', requested_at: now.toISOString(),
    }, `replan-${plan.id}-${click.requestId}`);
    return { kind: 'replan', planId: plan.id };
  }

  const members = plan.approval.users.includes(click.user) ? new Map<string, ReadonlySet<string>>() : await deps.groups.membersOf(plan.approval.groups);
  if (!isAllowedApprover(plan.approval, click.user, members)) return refuse(notAllowed(plan.approval));

  if (click.actionId === PLAN_ACTIONS.keep || click.actionId === PLAN_ACTIONS.revert) {
    const kind = click.actionId === PLAN_ACTIONS.keep ? 'keep' : 'revert';
    await deps.enqueue('verify', { kind, plan_id: plan.id, user: click.user, channel: click.channel, requested_at: now.toISOString() }, `${kind}-${plan.id}-${click.requestId}`);
    return { kind: 'queued', planId: plan.id };
  }

  const updateMessage = async (): Promise<void> => {
    const fresh = await loadPlan(deps.redis, deps.prefix, plan.id);
    if (!fresh) return;
    const automation = await readAutomation(deps.redis, deps.prefix);
    const msg = deps.presenter.plan(fresh.plan, planViewOf(fresh, deps.now().getTime(), { automationOff: !automation.enabled, dryRunOnly: deps.dryRunOnly }));
    await deps.outbox.update({ channel: plan.channel, ts_key: planMessageKey(plan.id), text: msg.text, blocks: msg.blocks, coalesce_key: planMessageKey(plan.id), priority: 'high' });
  };
  const auditBase = { at: now.toISOString(), actor: click.user, incident_id: plan.incidentId, plan_id: plan.id, runtime: plan.runtime, runbook_id: plan.runbookId };

  if (click.actionId === PLAN_ACTIONS.reject) {
    const answer = await rejectPlan(deps.redis, deps.prefix, plan.id, value.h, click.user, now.getTime());
    const refusal = refusalFor(answer, plan.approval);
    if (refusal) return refuse(refusal, { answer: answer.kind });
    await deps.audit({ type: 'approval.rejected', ...auditBase, data: { hash: value.h } });
    await updateMessage();
    return { kind: 'rejected', planId: plan.id };
  }

  if (click.actionId !== PLAN_ACTIONS.approve) return refuse(new OpsError('ACTION_UNKNOWN', { action_id: click.actionId }));

  // The kill switch refuses before consuming: the plan stays approvable once automation is back on.
  if (!(await readAutomation(deps.redis, deps.prefix)).enabled) return refuse(new OpsError('AUTOMATION_OFF', {}));

  // Four eyes: checked before consuming, so the requester is never recorded as one of the approvers.
  const ownPlan = requesterRefusal(plan, click.user, deps.requireOtherPerson);
  if (ownPlan) return refuse(ownPlan, { requested_by: plan.requestedBy });

  const answer = await consumeApproval(deps.redis, deps.prefix, plan.id, value.h, click.user, now.getTime());
  if (answer.kind === 'recorded') {
    await deps.audit({ type: 'approval.recorded', ...auditBase, data: { approvers: answer.approvers, required: answer.required } });
    await deps.outbox.ephemeral({ channel: click.channel, user: click.user, text: explainRecorded(answer.approvers, answer.required, plan.approval) });
    await updateMessage();
    return { kind: 'recorded', planId: plan.id };
  }
  const refusal = refusalFor(answer, plan.approval);
  if (refusal) return refuse(refusal, { answer: answer.kind });
  if (answer.kind !== 'approved') return refuse(new OpsError('PLAN_ALREADY_DECIDED', {}));

  await deps.audit({ type: 'approval.approved', ...auditBase, data: { approvers: answer.approvers, hash: value.h } });
  try {
    await deps.enqueue('execute', { plan_id: plan.id, approved_by: click.user }, `exec-${plan.id}`);
  } catch (err) {
    // The approval is consumed; the expire job re-queues a lost run at the deadline. Tell the user.
    log.error({ err, plan_id: plan.id }, 'approved but the run could not be queued now');
    const e = isOpsError(err) ? err : new OpsError('QUEUE_UNAVAILABLE', {});
    await deps.outbox.ephemeral({ channel: click.channel, user: click.user, text: rich`Approved, but the run could not be queued yet (${e.code}); it will be queued again automatically.` }).catch(() => undefined);
  }
  await updateMessage();
  log.info({ plan_id: plan.id }, 'plan approved; run queued');
  return { kind: 'approved', planId: plan.id };
}
