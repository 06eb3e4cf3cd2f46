/**
 * What the plan and outcome messages show, as the response domain decides it — the view models its
 * presenter (`PlanPresenter`, src/response/presenter.ts) renders.
 */
import type { Approver } from '../approvals/rules.js';
import type { RecoveryJudgement } from './recovery.js';
import type { RunOutcome } from './run.js';
import type { VerifyOutcome } from './verify-checks.js';

/** The state a plan message shows. */
export type PlanView =
  | { status: 'pending'; approvers: readonly Approver[]; note?: string | undefined }
  | { status: 'approved'; approvers: readonly Approver[]; auto?: boolean }
  | { status: 'rejected'; by: string; at: number }
  | { status: 'expired'; at: number }
  | { status: 'superseded'; at: number; /** The plan of the same failure that ran instead. */ byPlan?: string | undefined }
  /**
   * Closed while it waited for approval (src/response/plan-closing.ts): its incident resolved, or the
   * incident's diagnosis changed and no runbook matches the new finding (the plan acts on a stale cause).
   */
  | { status: 'closed'; at: number; why: 'incident_resolved' | 'diagnosis_changed' };

/** What a request for an already live plan of the same failure is told. */
export interface LinkedPlanView {
  readonly liveness: 'pending' | 'running' | 'in_force';
  /** A link to the plan message, when its ts is known. */
  readonly link: string | null;
  /** Who approved (when it ran). */
  readonly approvers: readonly string[];
  /** The latest verdict on the symptom, once verified. */
  readonly verdict: 'resolved' | 'mitigated' | 'not_effective' | 'unresolved' | null;
  /** When its temporary actions revert by themselves (ISO). */
  readonly revertAt: string | null;
  /** The request came from an incident, which now follows the plan. */
  readonly incidentLinked: boolean;
}

export interface TemporaryState {
  /** Some temporary action is in force (applied, not reverted, not kept). */
  readonly active: boolean;
  /** When the bridge reverts it by itself (ISO). */
  readonly revertAt?: string | null;
  readonly kept?: { readonly by: string; readonly at: number } | null;
  readonly reverted?: { readonly by: string; readonly at: number; readonly why: 'ttl' | 'verify_failed' | 'manual' } | null;
}

export interface OutcomeView {
  readonly run: RunOutcome;
  /** null while the verify job has not run yet. */
  readonly verify: VerifyOutcome | null;
  /** The latest verdict on the incident's symptom; null while not judged (or from an earlier version). */
  readonly recovery?: RecoveryJudgement | null;
  /** The temporary actions ended while the verdict was "mitigated": looking again. */
  readonly rechecking?: boolean;
  /** Set when the run or its verification failed: this failure's recent failed attempts. */
  readonly attempts?: { readonly count: number; readonly max: number } | null;
  readonly temporary: TemporaryState;
}
