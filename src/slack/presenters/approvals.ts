/** The Slack `ApprovalPresenter`: refusals as ephemerals (with "New plan" for an expired plan). */
import type { ApprovalPresenter } from '../../approvals/presenter.js';
import { PLAN_ACTIONS, encodeButtonValue } from '../../approvals/buttons.js';
import { errorAckText } from '../blocks/error-ack.js';
import { buildPlanMessage } from '../blocks/plan.js';
import { section } from '../blocks/vocabulary.js';

export const slackApprovalPresenter: ApprovalPresenter = {
  plan: buildPlanMessage,
  refusal(err, replan) {
    const text = errorAckText(err);
    if (!replan) return { text };
    return {
      text,
      blocks: [
        section(text),
        { type: 'actions', elements: [{ type: 'button', action_id: PLAN_ACTIONS.replan, text: { type: 'plain_text', text: 'New plan' }, value: encodeButtonValue(replan.p, replan.h) }] },
      ],
    };
  },
};
