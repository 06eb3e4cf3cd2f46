/**
 * How the plan buttons' answers are shown, owned by the approvals domain and implemented per chat platform
 * (Slack: src/slack/presenters/approvals.ts). The plan listener wires one in (`ClickDeps.presenters`).
 */
import type { OpsError } from '../errors.js';
import type { PlanPresenter } from '../response/presenter.js';
import type { MessageView } from '../view/message.js';
import type { PlanButtonValue } from './buttons.js';

export interface ApprovalPresenter {
  /** The plan message, rebuilt after a decision. */
  readonly plan: PlanPresenter['plan'];
  /** A refused click, told to the clicker; with `replan`, a "New plan" button for the expired plan. */
  refusal(err: OpsError, replan?: PlanButtonValue): MessageView;
}
