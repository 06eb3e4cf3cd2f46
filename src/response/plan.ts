/**
 * Plans: a runbook made concrete for one runtime and one incident — the exact bridge calls (path, target,
 * body), the checks that verify them, who may approve and until when — and the plan hash that approval
 * buttons are bound to. Pure: the bridge's dry-run predictions are attached by the caller.
 */
import { labelOf, resolveAgentRef } from '../runtime/resolve-agent.js';
import { createHash } from 'node:crypto';
import type { ActionName, Risk, Runbook, VerifyCheck } from './runbook-schema.js';
import type { RuntimeView } from './runtime-view.js';
import { defaultTargetFor, resolveTarget, type TargetSubject } from './targets.js';
import { actionSpec, agentsActedOn, callsPerAgent, type ActionCall } from './bridge-actions.js';
import type { ActionPath } from '../runtime/client.js';

/** What the bridge predicted in `dry_run` (or did, when executed). */
export interface ActionPrediction {
  readonly before: Readonly<Record<string, unknown>>;
  readonly after: Readonly<Record<string, unknown>>;
  readonly message?: string | undefined;
  /** What it does to the AgentChat team of its target, in the bridge's words (absent outside a team). */
  readonly teamEffect?: string | undefined;
}

/** One bridge call of a plan. */
export interface PlannedAction {
  /** 0-based position in the plan (the idempotency key is derived from it). */
  readonly index: number;
  /** The runbook step it comes from (0-based). */
  readonly step: number;
  readonly action: ActionName;
  /** The bridge endpoint (the action's table entry's). */
  readonly path: ActionPath;
  /** Agent type acted on, or null for the runtime as a whole. */
  readonly target: string | null;
  /** The exact JSON body sent to the bridge (without `dry_run`). */
  readonly body: Readonly<Record<string, unknown>>;
  /** Reverts by itself after the plan's `ttl_s` unless kept. */
  readonly temporary: boolean;
  readonly why?: string | undefined;
  /** The bridge's dry-run answer, when planning could reach it. */
  readonly predicted?: ActionPrediction | undefined;
}

/** A verify check with its targets resolved (null = the runtime). */
export type ResolvedCheck = VerifyCheck & { readonly targets: readonly string[] | null };

export interface PlanApproval {
  readonly users: readonly string[];
  readonly groups: readonly string[];
  /** Distinct approvals needed (2 under the two-person rule). */
  readonly required: 1 | 2;
  readonly autoRun: boolean;
}

export interface Plan {
  readonly id: string;
  readonly hash: string;
  readonly runbookId: string;
  readonly runbookTitle: string;
  readonly scenario: string;
  readonly risk: Risk;
  readonly runtime: string;
  readonly incidentId: string | null;
  /** "Same failure" for attempt counting: runbook, runtime and the agents acted on. */
  readonly failureKey: string;
  readonly requestedBy: string;
  readonly trigger: 'incident' | 'command';
  readonly matchReasons: readonly string[];
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly ttlS: number;
  readonly settleS: number;
  readonly approval: PlanApproval;
  readonly actions: readonly PlannedAction[];
  readonly checks: readonly ResolvedCheck[];
  readonly escalation: { readonly oncallGroup: string | null; readonly maxAttempts: number; readonly windowS: number };
  /** Where the incident lives in Slack (the plan is posted in its thread). */
  readonly channel: string;
  readonly threadTs: string | null;
  /** Outbox key of the thread root's ts, when the root may not be posted yet (an incident's root). */
  readonly threadTsKey: string | null;
  /** What the plan was asked for (shown, kept for "New plan"; not part of the hash). */
  readonly subject: PlanSubject;
  /**
   * The runbook's `team_effect`, when the plan acts on an AgentChat participant or team (shown, not part of
   * the hash); absent otherwise.
   */
  readonly teamEffect?: string | undefined;
  /**
   * The names people use for the agent types the plan acts on, where they differ from the type (an
   * AgentChat participant `support/triage` for `triage_<team id>`); shown, not part of the hash.
   */
  readonly names?: Readonly<Record<string, string>> | undefined;
}

/** The request a plan answers, kept so an expired plan can be asked for again. */
export interface PlanSubject {
  readonly agent: string | null;
  readonly agents: readonly string[];
  readonly labels: Readonly<Record<string, string>>;
  readonly findings: readonly string[];
  /** The runbook asked for by name, if any. */
  readonly runbook: string | null;
  /**
   * The agent types the plan acts on when none of them is the agent asked about (`agent`): the plan's first
   * line says so, and why (its match reasons). Absent when the plan acts on the agent asked about.
   */
  readonly actsInstead?: readonly string[];
}

export interface PlanInput {
  readonly runbook: Runbook;
  readonly view: RuntimeView;
  readonly subject: TargetSubject;
  readonly runtime: string;
  readonly incidentId: string | null;
  readonly requestedBy: string;
  readonly trigger: 'incident' | 'command';
  readonly matchReasons: readonly string[];
  readonly planId: string;
  readonly now: Date;
  /** Default approval validity when the runbook does not set one (config, default 900 s). */
  readonly approvalTtlS: number;
  readonly channel: string;
  readonly threadTs: string | null;
  readonly threadTsKey?: string | null;
  readonly labels?: Readonly<Record<string, string>>;
  readonly findings?: readonly string[];
  readonly askedRunbook?: string | null;
}

export type PlanResult = { ok: true; plan: Plan } | { ok: false; problems: string[] };

/** Deterministic JSON: object keys sorted, so equal content gives equal text (and hash). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The hash buttons are bound to: everything that decides what runs, nothing that is only shown. */
export function planHash(plan: Omit<Plan, 'hash'>): string {
  return sha256(canonicalJson({
    id: plan.id,
    runbook: plan.runbookId,
    runtime: plan.runtime,
    incident: plan.incidentId,
    risk: plan.risk,
    ttl_s: plan.ttlS,
    settle_s: plan.settleS,
    approval: plan.approval,
    actions: plan.actions.map((a) => ({ index: a.index, action: a.action, path: a.path, target: a.target, body: a.body, temporary: a.temporary })),
    checks: plan.checks,
  }));
}

/** The `Idempotency-Key` of one action of one plan: a retried job sends the same key, so the bridge acts once. */
export function idempotencyKey(planId: string, hash: string, actionIndex: number): string {
  return `ago-${sha256(`${planId}\n${hash}\n${actionIndex}`).slice(0, 40)}`;
}

/** Key for the revert of a temporary action (so a retried revert also acts once). */
export function revertIdempotencyKey(planId: string, hash: string, actionIndex: number): string {
  return `agr-${sha256(`revert\n${planId}\n${hash}\n${actionIndex}`).slice(0, 40)}`;
}

function bodyFor(step: Runbook['steps'][number], call: ActionCall, ttlS: number | null, reason: string): Record<string, unknown> {
  const ttl = step.temporary && ttlS !== null ? { ttl_s: ttlS } : {};
  return { ...actionSpec(step.action).body(step.params, call), ...ttl, reason };
}

/** Which agent types a failure is about, for attempt counting. */
export function failureKeyOf(runbookId: string, runtime: string, actions: readonly PlannedAction[]): string {
  const agents = [...new Set(actions.flatMap((a) => (a.target ? [a.target] : [])))].sort();
  return `${runbookId}|${runtime}|${agents.join(',') || '*'}`;
}

/** Builds the concrete plan, or says why the runbook cannot apply right now. */
export function buildPlan(input: PlanInput): PlanResult {
  const { runbook, view, subject } = input;
  const problems: string[] = [];
  const actions: PlannedAction[] = [];
  const reason = `autogen-ops plan ${input.planId} (${runbook.id})`;
  let firstTargets: readonly string[] | null = null;
  runbook.steps.forEach((step, stepIndex) => {
    const selector = step.target ?? defaultTargetFor(step);
    const resolved = resolveTarget(selector, view, subject);
    if (!resolved.ok) {
      problems.push(`step ${stepIndex + 1} (${step.action}): ${resolved.reason}`);
      return;
    }
    if (firstTargets === null && resolved.agentTypes) firstTargets = resolved.agentTypes;
    const ttl = step.temporary ? runbook.ttl_s : null;
    // Agent actions are one call per agent type; runtime actions (a degrade that sheds its targets too)
    // are one bridge call.
    const calls: (string | null)[] = callsPerAgent(step.action, resolved.agentTypes) && resolved.agentTypes ? resolved.agentTypes : [null];
    for (const target of calls) {
      actions.push({
        index: actions.length,
        step: stepIndex,
        action: step.action,
        path: actionSpec(step.action).path,
        target,
        body: bodyFor(step, { target, targets: resolved.agentTypes }, ttl, reason),
        temporary: step.temporary,
        why: step.why,
      });
    }
  });
  if (problems.length > 0) return { ok: false, problems };

  const checks: ResolvedCheck[] = [];
  for (const check of runbook.verify.checks) {
    if (!('target' in check) || check.target === undefined) {
      const runtimeWide = check.check === 'queue_depth_at_most' || check.check === 'rss_at_most_mb' || check.check === 'rss_not_growing'
        || check.check === 'features_disabled' || check.check === 'runtime_degraded';
      checks.push({ ...check, targets: runtimeWide ? null : firstTargets });
      continue;
    }
    const resolved = resolveTarget(check.target, view, subject);
    if (!resolved.ok) {
      problems.push(`check ${check.check}: ${resolved.reason}`);
      continue;
    }
    checks.push({ ...check, targets: resolved.agentTypes });
  }
  if (problems.length > 0) return { ok: false, problems };

  const expiresS = runbook.approval.expires_after_s ?? input.approvalTtlS;
  const base: Omit<Plan, 'hash'> = {
    id: input.planId,
    runbookId: runbook.id,
    runbookTitle: runbook.title,
    scenario: runbook.scenario,
    risk: runbook.risk,
    runtime: input.runtime,
    incidentId: input.incidentId,
    failureKey: failureKeyOf(runbook.id, input.runtime, actions),
    requestedBy: input.requestedBy,
    trigger: input.trigger,
    matchReasons: [...input.matchReasons],
    createdAt: input.now.toISOString(),
    expiresAt: new Date(input.now.getTime() + expiresS * 1000).toISOString(),
    ttlS: runbook.ttl_s,
    settleS: runbook.verify.settle_s,
    approval: {
      users: [...runbook.approval.users],
      groups: [...runbook.approval.groups],
      required: runbook.approval.two_person ? 2 : 1,
      autoRun: runbook.approval.auto_run,
    },
    actions,
    checks,
    escalation: {
      oncallGroup: runbook.escalation.oncall_group ?? null,
      maxAttempts: runbook.escalation.max_attempts,
      windowS: runbook.escalation.window_s,
    },
    channel: input.channel,
    threadTs: input.threadTs,
    threadTsKey: input.threadTsKey ?? null,
    subject: {
      agent: subject.agent ?? null,
      agents: [...subject.agents],
      labels: { ...(input.labels ?? {}) },
      findings: [...(input.findings ?? [])],
      runbook: input.askedRunbook ?? null,
      ...insteadOf(subject.agent, actions, view),
    },
    ...(runbook.team_effect !== undefined && actsOnTeam(actions, view) ? { teamEffect: runbook.team_effect } : {}),
    ...namesOf(actions, view),
  };
  return { ok: true, plan: { ...base, hash: planHash(base) } };
}

function namesOf(actions: readonly PlannedAction[], view: RuntimeView): { names?: Record<string, string> } {
  const names: Record<string, string> = {};
  for (const type of new Set(actions.flatMap(agentsActedOn))) {
    const agent = view.agents.find((x) => x.type === type);
    const label = agent ? labelOf(agent) : type;
    if (label !== type) names[type] = label;
  }
  return Object.keys(names).length > 0 ? { names } : {};
}

/** Some action of the plan targets an AgentChat participant or team (or sheds / switches off tools of one). */
function actsOnTeam(actions: readonly PlannedAction[], view: RuntimeView): boolean {
  const inTeam = new Set(view.agents.filter((a) => a.team).map((a) => a.type));
  return actions.some((a) => agentsActedOn(a).some((t) => inTeam.has(t)));
}

function insteadOf(asked: string | undefined, actions: readonly PlannedAction[], view: RuntimeView): { actsInstead?: string[] } {
  const targets = [...new Set(actions.map((a) => a.target).filter((t): t is string => t !== null))];
  if (!asked || targets.length === 0) return {};
  let askedType = asked;
  try {
    askedType = resolveAgentRef(asked, view.agents, view.runtime.name)?.type ?? asked;
  } catch { /* ambiguous: compare as named */ }
  return targets.includes(askedType) ? {} : { actsInstead: targets };
}

/** The plan with the bridge's dry-run predictions attached (the hash does not change: it binds what runs). */
export function withPredictions(plan: Plan, predictions: readonly (ActionPrediction | undefined)[]): Plan {
  return { ...plan, actions: plan.actions.map((a, i) => ({ ...a, predicted: predictions[i] })) };
}

/** A plan id: sortable by time, no `:` (BullMQ job ids), not all digits. */
export function newPlanId(now: Date, random: string): string {
  return `pl-${now.getTime().toString(36)}-${random.replace(/[^a-z0-9]/gi, '').slice(0, 10).toLowerCase()}`;
}
