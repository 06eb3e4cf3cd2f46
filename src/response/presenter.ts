/**
 * How recovery plans and their outcomes are shown, owned by the response domain and implemented per chat
 * platform (Slack: src/slack/presenters/plans.ts). The roles wire one in (`ResponseDepsInput.presenters`).
 */
import type { MessageView } from '../view/message.js';
import type { Attempt } from './attempts.js';
import type { Plan, PlannedAction } from './plan.js';
import type { LinkedPlanView, OutcomeView, PlanView } from './plan-view.js';

export interface PlanPresenter {
  /** The plan message in the state `view` says (pending with Approve / Reject, decided, expired, …). */
  plan(plan: Plan, view: PlanView): MessageView;
  /** "No recovery plan" for `runtime`, with why. */
  noPlan(runtime: string, reasons: readonly string[]): MessageView;
  /** "The same recovery plan already …" for a request joining a live plan. */
  linkedPlan(plan: Plan, view: LinkedPlanView): MessageView;
  /** The outcome message: one line per action and check, Keep / Revert now. */
  outcome(plan: Plan, view: OutcomeView): MessageView;
  /** Humans called in after `max` failed attempts. */
  escalation(plan: Plan, attempts: readonly Attempt[], max: number): MessageView;
  /**
   * An action in one line of words, for incident notes and attempt records: plain text, never markup —
   * what stores it escapes it once where it is shown (an agent named `A<B>` must not show as `A&amp;lt;B…`).
   */
  actionSummary(action: Pick<PlannedAction, 'action' | 'target' | 'body'>): string;
  /** A link to a posted message (`ts`) in `channel`. */
  messageLink(channel: string, ts: string): string;
}
