/** The Slack `PlanPresenter`: the Block Kit builders of src/slack/blocks/plan*.ts. */
import type { PlanPresenter } from '../../response/presenter.js';
import { messageLink } from '../blocks/incident.js';
import { buildEscalationMessage, buildOutcomeMessage } from '../blocks/plan-outcome.js';
import { buildLinkedPlanMessage, buildNoPlanMessage, buildPlanMessage, describeAction } from '../blocks/plan.js';

export const slackPlanPresenter: PlanPresenter = {
  plan: buildPlanMessage,
  noPlan: buildNoPlanMessage,
  linkedPlan: buildLinkedPlanMessage,
  outcome: buildOutcomeMessage,
  escalation: buildEscalationMessage,
  // the line as escaped mrkdwn without its code spans' backticks, as incident notes and attempts have always stored it
  actionSummary: (a) => describeAction(a).replace(/`/g, ''),
  messageLink,
};
