/**
 * Running an approved plan: each action goes to the bridge with its idempotency key (so a retried job — or
 * a job whose worker died after the bridge acted — never acts twice), behind the kill switch and the
 * circuit breaker, in dry-run when the dry-run-only mode is on. Results are stored per action in Redis, so
 * a retry resumes after the last finished action and the outcome is complete whichever worker ends it.
 *
 * The I/O is passed in (`RunPorts`); the handler wires the bridge client, Redis and the audit stream.
 */
import type { RedisClient } from '../redis/connect.js';
import type { ActionResult, Fields, MaybeFields } from '../runtime/schemas.js';
import { idempotencyKey, type Plan, type PlannedAction } from './plan.js';
import type { BreakerAnswer } from './safety.js';

export type ActionStatus = 'applied' | 'replayed' | 'dry_run' | 'failed' | 'blocked';

export interface ActionOutcome {
  readonly index: number;
  readonly action: PlannedAction['action'];
  readonly target: string | null;
  readonly body: Readonly<Record<string, unknown>>;
  readonly status: ActionStatus;
  readonly idempotencyKey: string;
  /** The bridge's action id (for Keep / revert), when it acted. */
  readonly actionId?: string | null;
  readonly before?: Readonly<Record<string, unknown>> | null;
  readonly after?: Readonly<Record<string, unknown>> | null;
  readonly expiresAt?: string | null;
  readonly message?: string | null;
  /** What it did to the AgentChat team of its target, in the bridge's words (null outside a team). */
  readonly teamEffect?: string | null;
  /** Why it failed or was blocked. */
  readonly error?: string;
  /** Which safety limit blocked it. */
  readonly blockedBy?: 'kill_switch' | 'circuit_breaker';
  /** ISO time the outcome was recorded. */
  readonly at: string;
}

export interface RunOutcome {
  readonly planId: string;
  readonly actions: readonly ActionOutcome[];
  /** Every action applied (or replayed, or dry-run in dry-run-only mode). */
  readonly ok: boolean;
  readonly dryRunOnly: boolean;
  /** Set when the run stopped before the end: kill switch, breaker, or an action failed. */
  readonly stoppedBy?: 'kill_switch' | 'circuit_breaker' | 'action_failed';
  readonly stopReason?: string;
}

/** What a run reads of the bridge's answer to an action (`ActionResult`). */
export type BridgeActResult = Fields<ActionResult, 'applied' | 'dry_run'>
  & MaybeFields<ActionResult, 'action_id' | 'replayed' | 'before' | 'after' | 'expires_at' | 'message' | 'team_effect'>;

export interface RunPorts {
  /** POSTs the action to the bridge with the `Idempotency-Key` header. Throws `OpsError` on failure. */
  act(action: PlannedAction, body: Record<string, unknown>, key: string): Promise<BridgeActResult>;
  /** The global kill switch (true = automation on). */
  automationEnabled(): Promise<boolean>;
  /** One circuit-breaker slot for this action key on the plan's runtime. */
  reserve(key: string): Promise<BreakerAnswer>;
  /** Describes an open breaker for the thread. */
  describeBreaker(answer: Extract<BreakerAnswer, { open: true }>): string;
  now(): Date;
  /** Called after each action outcome is stored, and again for stored ones on a retry (must be idempotent). */
  onOutcome(outcome: ActionOutcome): Promise<void>;
  /**
   * Test hook: runs after the bridge answered an action and before its outcome is stored — the moment a
   * worker dying hurts most (the bridge acted, the bot does not know yet).
   */
  afterBridgeCall?(action: PlannedAction, result: BridgeActResult): Promise<void>;
}

export function runKey(prefix: string, planId: string): string {
  return `${prefix}run:${planId}`;
}

/** Per-action outcomes stored so far (field = action index). */
export async function loadOutcomes(redis: RedisClient, prefix: string, planId: string): Promise<Map<number, ActionOutcome>> {
  const raw = await redis.hgetall(runKey(prefix, planId));
  const out = new Map<number, ActionOutcome>();
  for (const [k, v] of Object.entries(raw)) {
    if (/^\d+$/.test(k)) out.set(Number(k), JSON.parse(v) as ActionOutcome);
  }
  return out;
}

async function storeOutcome(redis: RedisClient, prefix: string, planId: string, outcome: ActionOutcome, retentionMs: number): Promise<void> {
  const key = runKey(prefix, planId);
  await redis.multi().hset(key, String(outcome.index), JSON.stringify(outcome)).pexpire(key, retentionMs).exec();
}

function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'code' in err && 'message' in err) {
    const details = (err as { details?: Record<string, unknown> }).details ?? {};
    const bridge = details.bridge_code ? ` (${String(details.bridge_code)}: ${String(details.bridge_message ?? '')})` : '';
    return `${String((err as { code: unknown }).code)}: ${String((err as { message: unknown }).message)}${bridge}`;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Whether a thrown error is worth a job retry (bridge unreachable) rather than a recorded failure. */
function isTransient(err: unknown): boolean {
  return !!err && typeof err === 'object' && (err as { transient?: unknown }).transient === true;
}

/**
 * Runs the plan's actions in order, resuming after those already recorded. A transient bridge error is
 * rethrown (the job retries; the idempotency key makes the retry safe); a permanent one is recorded as a
 * failed action and stops the run. The kill switch and the breaker are checked before every action.
 */
export async function runPlan(redis: RedisClient, prefix: string, plan: Plan, ports: RunPorts, opts: { dryRunOnly: boolean; retentionMs: number }): Promise<RunOutcome> {
  const done = await loadOutcomes(redis, prefix, plan.id);
  const outcomes: ActionOutcome[] = [];
  const finish = (extra: Partial<RunOutcome> = {}): RunOutcome => ({
    planId: plan.id,
    actions: outcomes,
    ok: outcomes.length === plan.actions.length && outcomes.every((o) => o.status === 'applied' || o.status === 'replayed' || o.status === 'dry_run'),
    dryRunOnly: opts.dryRunOnly,
    ...extra,
  });
  for (const action of plan.actions) {
    const previous = done.get(action.index);
    if (previous) {
      outcomes.push(previous);
      // The port dedupes: an outcome stored by a worker that died before auditing it is audited now.
      await ports.onOutcome(previous);
      if (previous.status === 'failed' || previous.status === 'blocked') {
        return finish({ stoppedBy: previous.status === 'failed' ? 'action_failed' : (previous.blockedBy ?? 'kill_switch'), stopReason: previous.error ?? '' });
      }
      continue;
    }
    const key = idempotencyKey(plan.id, plan.hash, action.index);
    const base = { index: action.index, action: action.action, target: action.target, body: action.body, idempotencyKey: key };
    const record = async (o: ActionOutcome): Promise<void> => {
      await storeOutcome(redis, prefix, plan.id, o, opts.retentionMs);
      outcomes.push(o);
      await ports.onOutcome(o);
    };
    if (!(await ports.automationEnabled())) {
      const reason = 'Automation is switched off (`/autogen automation off`): no action runs until someone switches it on.';
      await record({ ...base, status: 'blocked', blockedBy: 'kill_switch', error: reason, at: ports.now().toISOString() });
      return finish({ stoppedBy: 'kill_switch', stopReason: reason });
    }
    const slot = await ports.reserve(key);
    if (slot.open) {
      const reason = ports.describeBreaker(slot);
      await record({ ...base, status: 'blocked', blockedBy: 'circuit_breaker', error: reason, at: ports.now().toISOString() });
      return finish({ stoppedBy: 'circuit_breaker', stopReason: reason });
    }
    const body = { ...action.body, dry_run: opts.dryRunOnly };
    let res: BridgeActResult;
    try {
      res = await ports.act(action, body, key);
    } catch (err) {
      if (isTransient(err)) throw err;
      const reason = errorText(err);
      await record({ ...base, status: 'failed', error: reason, at: ports.now().toISOString() });
      return finish({ stoppedBy: 'action_failed', stopReason: `action ${action.index + 1} failed: ${reason}` });
    }
    await ports.afterBridgeCall?.(action, res);
    if (!res.dry_run && !res.applied) {
      // The bridge answered but could not apply it (e.g. a restart whose recreation failed).
      const afterError = res.after && typeof res.after.error === 'string' ? res.after.error : null;
      const reason = `the bridge did not apply it: ${afterError ?? res.message ?? 'no reason given'}`;
      await record({ ...base, status: 'failed', error: reason, actionId: res.action_id ?? null, before: res.before ?? null, after: res.after ?? null, at: ports.now().toISOString() });
      return finish({ stoppedBy: 'action_failed', stopReason: `action ${action.index + 1} failed: ${reason}` });
    }
    const status: ActionStatus = res.dry_run ? 'dry_run' : res.replayed ? 'replayed' : 'applied';
    await record({
      ...base, status, actionId: res.action_id ?? null, before: res.before ?? null, after: res.after ?? null,
      expiresAt: res.expires_at ?? null, message: res.message ?? null, teamEffect: res.team_effect ?? null, at: ports.now().toISOString(),
    });
  }
  return finish();
}
