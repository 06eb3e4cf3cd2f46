/**
 * Payloads of the response queues (validated on enqueue and in the worker, see `src/queues/payloads.ts`):
 *
 * - `respond`: `plan` (match runbooks for an incident or `/autogen recover`, dry-run, post the plan),
 *   `expire` (at the approval deadline: mark the plan message expired, offer a fresh plan),
 *   `automation` (`/autogen automation on|off|status`), `audit` (`/autogen audit [id] [json]`),
 *   `close` (an incident resolved: its plans awaiting approval are closed, nothing ran), `unshared` (Slack
 *   refused a plan's first post: the plan is closed, the person who asked told).
 * - `execute`: run one approved plan (job id `exec-<planId>`: one run per plan).
 * - `verify`: `verify` (after the settle time), `ttl` (confirm the bridge reverted temporary actions),
 *   `recheck` (the symptom again: until a recovery is confirmed, and after the release), `keep` / `revert`
 *   (the buttons on the outcome message).
 */
import { z } from 'zod';
import { AgentRef, ChannelId, MessageTs, ResponseUrl, RUNBOOK_ID_RE, RuntimeName, UserId } from '../identifiers.js';

/** Agents as people name them (a type, or `<team>/<participant>`): resolved against the runtime when planning. */
const AgentType = AgentRef;
export const PlanId = z.string().regex(/^pl-[a-z0-9-]{1,60}$/);
const TsKey = z.string().min(1).max(200).regex(/^[\w:.{}@-]+$/);

/** A request for a plan. Also what the `diag:recover` button sends (kind omitted = plan). */
export const PlanRequest = z.object({
  kind: z.literal('plan').default('plan'),
  runtime: RuntimeName,
  channel: ChannelId,
  /** Who asked (slash command or button); absent for an incident's automatic plan. */
  user: UserId.optional(),
  thread_ts: MessageTs.optional(),
  /** Reply in the thread whose root ts is stored under this outbox key (e.g. the incident's root). */
  thread_ts_key: TsKey.optional(),
  /** The primary agent (command argument, incident label). */
  agent: AgentType.optional(),
  /** Every agent the incident names. */
  agents: z.array(AgentType).max(50).default([]),
  incident_id: z.string().regex(/^[\w.-]{1,200}$/).optional(),
  /** Incident labels for runbook matching (when absent and `incident_id` is set, read from the incident). */
  labels: z.record(z.string().max(200), z.string().max(1000)).optional(),
  /** Diagnosis finding ids / categories for runbook matching. */
  findings: z.array(z.string().max(100)).max(100).default([]),
  /** A runbook id or scenario to use instead of matching. */
  runbook: z.string().regex(RUNBOOK_ID_RE).optional(),
  /** slash | diag:recover | incident | replan | … */
  source: z.string().max(40),
  /** A slash command's response_url: the answer goes there when the bot cannot post in the channel. */
  response_url: ResponseUrl.optional(),
  requested_at: z.iso.datetime().optional(),
});
export type PlanRequest = z.infer<typeof PlanRequest>;

export const RespondJob = z.union([
  PlanRequest,
  z.object({ kind: z.literal('expire'), plan_id: PlanId }),
  /**
   * Slack refused a plan's first post (the bot cannot post in its channel): close the plan, tell the person
   * who asked through the command's response_url (src/response/plan-closing.ts).
   */
  z.object({ kind: z.literal('unshared'), plan_id: PlanId, slack_error: z.string().max(100), response_url: ResponseUrl.optional() }),
  /** An incident resolved: close its plans still awaiting approval (src/response/plan-closing.ts). */
  z.object({ kind: z.literal('close'), incident_id: z.string().regex(/^[\w.-]{1,200}$/) }),
  z.object({
    kind: z.literal('automation'),
    mode: z.enum(['on', 'off', 'status']),
    user: UserId,
    channel: ChannelId,
    response_url: ResponseUrl.optional(),
    requested_at: z.iso.datetime(),
  }),
  z.object({
    kind: z.literal('audit'),
    /** Incident id or plan id; absent = the newest entries of the whole log. */
    subject: z.string().regex(/^[\w.-]{1,200}$/).optional(),
    json: z.boolean().default(false),
    user: UserId,
    channel: ChannelId,
    response_url: ResponseUrl.optional(),
    requested_at: z.iso.datetime(),
  }),
]);
export type RespondJob = z.infer<typeof RespondJob>;

export const ExecuteJob = z.object({
  plan_id: PlanId,
  /** Who approved (last approver), for logs. */
  approved_by: z.string().max(40),
});
export type ExecuteJob = z.infer<typeof ExecuteJob>;

export const VerifyJob = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('verify'), plan_id: PlanId }),
  z.object({ kind: z.literal('ttl'), plan_id: PlanId, round: z.number().int().min(0).max(20).default(0) }),
  /** Look at the incident's symptom again: while it is not confirmed after the action, or after the release. */
  z.object({ kind: z.literal('recheck'), plan_id: PlanId, stage: z.enum(['after_action', 'after_release']), round: z.number().int().min(0).max(20).default(0) }),
  z.object({ kind: z.literal('keep'), plan_id: PlanId, user: UserId, channel: ChannelId, requested_at: z.iso.datetime() }),
  z.object({ kind: z.literal('revert'), plan_id: PlanId, user: UserId, channel: ChannelId, requested_at: z.iso.datetime() }),
]);
export type VerifyJob = z.infer<typeof VerifyJob>;
