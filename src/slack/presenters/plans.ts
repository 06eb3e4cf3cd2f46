/** The Slack `PlanPresenter`: the Block Kit builders of src/slack/blocks/plan*.ts. */
import type { PlanPresenter } from '../../response/presenter.js';
import { messageLink } from '../blocks/incident.js';
import { buildEscalationMessage, buildOutcomeMessage } from '../blocks/plan-outcome.js';
import { buildLinkedPlanMessage, buildNoPlanMessage, buildPlanMessage, describeActionText } from '../blocks/plan.js';

export const slackPlanPresenter: PlanPresenter = {
  plan: buildPlanMessage,
  noPlan: buildNoPlanMessage,
  linkedPlan: buildLinkedPlanMessage,
  outcome: buildOutcomeMessage,
  escalation: buildEscalationMessage,
  // plain text (not mrkdwn): notes and attempts are stored as text and escaped once where they are shown;
  // without the names' backticks, as they have always been stored
  actionSummary: (a) => describeActionText(a).replace(/`/g, ''),
  messageLink,
};
