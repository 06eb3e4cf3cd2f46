/**
 * The runbook schema: one YAML file per emergency scenario under `runbooks/`, validated strictly at
 * start-up. Unknown keys anywhere and unknown actions, targets or checks are errors (the loader names the
 * file, the line and the path). `docs/runbooks.md` is the human reference for everything declared here.
 */
import { z } from 'zod';
import { AGENT_REF_RE, SLACK_GROUP_ID_RE, SLACK_USER_ID_RE } from '../identifiers.js';
import { ACTION_NAMES, AGENT_TYPE, BRIDGE_ACTIONS, FEATURE, stepProblems, type ActionName, type BridgeActions } from './bridge-actions.js';

/** Agent type names as autogen-core accepts them (defined with the actions' parameters). */
export { AGENT_TYPE };
/** An agent as people name it: a type, an AgentChat participant's name, or `<team>/<participant>` (stable across restarts). */
const AGENT_NAME = z.string().regex(AGENT_REF_RE, 'must be an agent type, a participant name or <team>/<participant>');

/** Slack user ids (`U…` or `W…` on Enterprise Grid). */
export const SLACK_USER_ID = z.string().regex(SLACK_USER_ID_RE, 'must be a Slack user id such as U012ABCDEF');
/** Slack user group ids (`S…`). */
export const SLACK_GROUP_ID = z.string().regex(SLACK_GROUP_ID_RE, 'must be a Slack user group id such as S012ABCDEF');


export const RISKS = ['low', 'medium', 'high'] as const;
export type Risk = (typeof RISKS)[number];

/** Agent metrics a `worst_agent` target can rank by (all from `/v1/agents`). */
export const AGENT_METRICS = ['error_rate', 'errors_total', 'latency_p95', 'inflight'] as const;
export type AgentMetric = (typeof AGENT_METRICS)[number];

/**
 * What a step acts on, resolved when the plan is built (the plan shows the resolved agent types).
 * A plain string is shorthand for `{ select: <string> }`.
 */
const targetObject = z.discriminatedUnion('select', [
  /** The incident's primary agent (or the agent of `/autogen recover <agent>`). */
  z.strictObject({ select: z.literal('incident_agent') }),
  /** Every agent type the incident names. */
  z.strictObject({ select: z.literal('incident_agents') }),
  /**
   * Agent types whose recent error rate is at least `min_error_rate` (default 0.05, the seed's 5 %),
   * worst first, at most `limit` (default 5). Agents the incident names come first on ties. With
   * `origins_only`, agents whose failures are all explained by a failing dependency (a message they sent
   * while handling the failed one failed too, per the bridge's `parent_id`) are left out: in a cascade
   * only the origin is isolated, not every agent upstream of it.
   */
  z.strictObject({
    select: z.literal('failing_agents'),
    min_error_rate: z.number().min(0).max(1).default(0.05),
    limit: z.int().min(1).max(50).default(5),
    origins_only: z.boolean().default(false),
  }),
  /** The single worst agent type by `by`; with `prefer_incident` (default true) the incident's own agent wins. */
  z.strictObject({
    select: z.literal('worst_agent'),
    by: z.enum(AGENT_METRICS),
    prefer_incident: z.boolean().default(true),
  }),
  /** Agent types that call a dependency the runtime reports unreachable (network partition). */
  z.strictObject({ select: z.literal('unreachable_dependents') }),
  /** A named agent type. */
  z.strictObject({ select: z.literal('agent_type'), agent_type: AGENT_NAME }),
  /** The runtime as a whole (runtime-wide backpressure, degrade, clear caches). */
  z.strictObject({ select: z.literal('runtime') }),
]);

export const targetSchema = z.preprocess(
  (v) => (typeof v === 'string' ? { select: v } : v),
  targetObject,
);
export type Target = z.output<typeof targetObject>;

/** Fields every step has besides its action and parameters. */
const stepCommon = {
  /** What the step acts on (default `incident_agent`). */
  target: targetSchema.optional(),
  /** Temporary: the bridge reverts it by itself after the runbook's `ttl_s` unless someone clicks "Keep". */
  temporary: z.boolean().default(false),
  /** One line for humans, shown in the plan. */
  why: z.string().max(300).optional(),
};

/** One step of action `K`: the common fields and the action's `params` from the table of bridge actions. */
function stepVariant<K extends ActionName>(name: K) {
  return z.strictObject({ action: z.literal(name), ...stepCommon, params: BRIDGE_ACTIONS[name].params as BridgeActions[K]['params'] });
}
type StepVariant = { [K in ActionName]: ReturnType<typeof stepVariant<K>> }[ActionName];

/** Each action and its parameters (src/response/bridge-actions.ts). */
export const stepSchema = z.discriminatedUnion('action', ACTION_NAMES.map(stepVariant) as [StepVariant, ...StepVariant[]]);
export type RunbookStep = z.output<typeof stepSchema>;
export type { ActionName };
export const ACTIONS: readonly ActionName[] = ACTION_NAMES;

/** Success conditions, checked by the `verify` job after `settle_s`. */
const checkVariants = [
  /** The target agent types are isolated in the runtime's control state. */
  z.strictObject({ check: z.literal('isolated'), target: targetSchema.optional() }),
  /** No message was delivered to (handled successfully by) the target since the action applied. */
  z.strictObject({ check: z.literal('no_deliveries'), target: targetSchema.optional() }),
  /** At most `max` new handler errors on the target since the action applied. */
  z.strictObject({ check: z.literal('new_errors_at_most'), target: targetSchema.optional(), max: z.int().min(0).default(0) }),
  /** The target's recent error rate is at most `max` (0..1). */
  z.strictObject({ check: z.literal('error_rate_at_most'), target: targetSchema.optional(), max: z.number().min(0).max(1) }),
  /** A max-in-flight limit is set on the target (or the runtime). */
  z.strictObject({ check: z.literal('backpressured'), target: targetSchema.optional() }),
  /** In-flight messages on the target (or the runtime) are at most `max`. */
  z.strictObject({ check: z.literal('inflight_at_most'), target: targetSchema.optional(), max: z.int().min(0) }),
  /** The runtime's queue depth is at most `max` (the seed's backlog threshold is 10). */
  z.strictObject({ check: z.literal('queue_depth_at_most'), max: z.int().min(0) }),
  /** The runtime's resident memory is at most `max_mb` MiB (the seed's threshold is 512). */
  z.strictObject({ check: z.literal('rss_at_most_mb'), max_mb: z.number().positive() }),
  /** The runtime's resident memory grew by at most `tolerance` (fraction, default 0.05) since the action. */
  z.strictObject({ check: z.literal('rss_not_growing'), tolerance: z.number().min(0).max(10).default(0.05) }),
  /** The named features are switched off. */
  z.strictObject({ check: z.literal('features_disabled'), features: z.array(FEATURE).min(1) }),
  /** The runtime reports degraded mode. */
  z.strictObject({ check: z.literal('runtime_degraded') }),
  /** The target is registered, has an instance and no new construction errors since the action. */
  z.strictObject({ check: z.literal('agent_running'), target: targetSchema.optional() }),
  /** The target handled at least `min` messages since the action. */
  z.strictObject({ check: z.literal('handling_messages'), target: targetSchema.optional(), min: z.int().min(1).default(1) }),
  /** The target's recent p95 handler latency is at most `max_ms`. */
  z.strictObject({ check: z.literal('latency_p95_at_most_ms'), target: targetSchema.optional(), max_ms: z.number().positive() }),
] as const;

export const checkSchema = z.discriminatedUnion('check', [...checkVariants]);
export type VerifyCheck = z.output<typeof checkSchema>;

/** A label matcher: the exact value, or any of a list of values. */
const labelValue = z.union([z.string().min(1).max(200), z.array(z.string().min(1).max(200)).min(1).max(50)]);

export const runbookSchema = z.strictObject({
  /** Stable id (file name without `.yaml` by convention); used in audit, attempts and buttons. */
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, 'must be lower-case letters, digits and dashes (2..63)'),
  title: z.string().min(1).max(150),
  description: z.string().max(2000).optional(),
  /**
   * What the runbook does to an AgentChat team when it acts on a participant or on a team (its manager):
   * one or two sentences, shown in the plan message when a target is in a team.
   */
  team_effect: z.string().trim().min(10).max(500).optional(),
  /** The seed's incident type this runbook answers (e.g. `agent_cascade_failure`). */
  scenario: z.string().regex(/^[a-z0-9_]{1,64}$/),
  risk: z.enum(RISKS),
  match: z.strictObject({
    /** Incident labels that must all match (each value exact, or any of a list). */
    labels: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a label name'), labelValue).default({}),
    /** Diagnosis finding ids; the runbook matches when the incident has any of them. */
    findings: z.array(z.string().regex(/^[a-z0-9_.-]{1,64}$/)).max(50).default([]),
    /** Higher wins when several runbooks match (default 0). */
    priority: z.int().min(-100).max(100).default(0),
  }).refine((m) => Object.keys(m.labels).length > 0 || m.findings.length > 0, {
    message: 'needs at least one label or finding to match (a runbook that matches everything is refused)',
  }),
  steps: z.array(stepSchema).min(1).max(20),
  approval: z.strictObject({
    /** Slack user ids who may approve. */
    users: z.array(SLACK_USER_ID).max(100).default([]),
    /** Slack user group ids whose members may approve (membership from config `APPROVAL_GROUPS`). */
    groups: z.array(SLACK_GROUP_ID).max(20).default([]),
    /** Two distinct approvers needed (at high risk both besides the requester: `src/approvals/rules.ts`). */
    two_person: z.boolean().default(false),
    /** Seconds an approval button stays valid (default: config `RESPONSE_APPROVAL_TTL_S`, 900). */
    expires_after_s: z.int().min(30).max(86_400).optional(),
    /** Runs without approval — only for a `low` risk runbook; also needs config `RESPONSE_ALLOW_AUTO_RUN=true`. */
    auto_run: z.boolean().default(false),
  }).refine((a) => a.users.length + a.groups.length > 0, {
    message: 'names nobody who may approve: add `users` and/or `groups`',
  }),
  verify: z.strictObject({
    /** Seconds to wait after the last step before checking (0..3600). */
    settle_s: z.number().min(0).max(3600).default(5),
    checks: z.array(checkSchema).min(1).max(20),
  }),
  /** Seconds after which temporary steps revert by themselves unless "Keep" is clicked. */
  ttl_s: z.int().min(1).max(86_400).default(900),
  escalation: z.strictObject({
    /** The on-call user group mentioned when automation stops. */
    oncall_group: SLACK_GROUP_ID.optional(),
    /** Failed attempts (recent) after which automation stops for this failure (the seed's 3). */
    max_attempts: z.int().min(1).max(10).default(3),
    /** What "recent" means, in seconds (default one hour). */
    window_s: z.int().min(60).max(7 * 86_400).default(3600),
  }).default({ max_attempts: 3, window_s: 3600 }),
}).superRefine((rb, ctx) => {
  if (rb.approval.auto_run && rb.risk !== 'low') {
    ctx.addIssue({ code: 'custom', path: ['approval', 'auto_run'], message: `only a low-risk runbook may run without approval (this one is ${rb.risk})` });
  }
  rb.steps.forEach((step, i) => {
    for (const problem of stepProblems(step)) ctx.addIssue({ code: 'custom', path: ['steps', i, problem.path], message: problem.message });
  });
});

export type Runbook = z.output<typeof runbookSchema>;
