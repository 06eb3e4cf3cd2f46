/**
 * The Slack presenters, one per domain: what the roles wire into the domain's contexts
 * (docs/internals.md, "The presentation seam"). Another chat platform provides its own `Presenters`
 * (src/view/presenters.ts).
 */
import type { Presenters } from '../../view/presenters.js';
import { slackApprovalPresenter } from './approvals.js';
import { slackIncidentPresenter } from './incidents.js';
import { slackPlanPresenter } from './plans.js';

export type { Presenters } from '../../view/presenters.js';

export const slackPresenters: Presenters = {
  incidents: slackIncidentPresenter,
  plans: slackPlanPresenter,
  approvals: slackApprovalPresenter,
};
