/**
 * Every presenter the domain asks for messages, as one object: what a chat platform provides (Slack's is
 * `slackPresenters`, src/slack/presenters) and the roles hand to the domain (`WorkerDeps.presenters`).
 */
import type { ApprovalPresenter } from '../approvals/presenter.js';
import type { IncidentPresenter } from '../incidents/presenter.js';
import type { PlanPresenter } from '../response/presenter.js';

export interface Presenters {
  readonly incidents: IncidentPresenter;
  readonly plans: PlanPresenter;
  readonly approvals: ApprovalPresenter;
}
