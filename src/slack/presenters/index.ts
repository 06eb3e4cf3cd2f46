/**
 * The Slack presenters, one per domain: what the roles wire into the domain's contexts
 * (docs/internals.md, "The presentation seam"). Another chat platform provides the same `Presenters`.
 */
import type { ApprovalPresenter } from '../../approvals/presenter.js';
import type { IncidentPresenter } from '../../incidents/presenter.js';
import type { PlanPresenter } from '../../response/presenter.js';
import { slackApprovalPresenter } from './approvals.js';
import { slackIncidentPresenter } from './incidents.js';
import { slackPlanPresenter } from './plans.js';

export interface Presenters {
  readonly incidents: IncidentPresenter;
  readonly plans: PlanPresenter;
  readonly approvals: ApprovalPresenter;
}

export const slackPresenters: Presenters = {
  incidents: slackIncidentPresenter,
  plans: slackPlanPresenter,
  approvals: slackApprovalPresenter,
};
