/**
 * Response automation: `/autogen recover` (a plan from the runbooks), `/autogen automation` (the kill
 * switch) and the `plan:` buttons (Approve, Reject, New plan, Keep, Revert now), decided in
 * src/approvals/click.ts. The worker side is `handlers/respond.ts`, `execute.ts` and `verify.ts`
 * (src/response); its presenters `src/slack/presenters/plans.ts` and `approvals.ts`.
 */
import { automation } from '../commands/automation.js';
import { recover } from '../commands/recover.js';
import { PLAN_ACTION_PREFIX, registerPlanActions } from '../listeners/plan-actions.js';
import type { Feature } from './feature.js';

export const responseFeature: Feature = {
  name: 'response',
  subcommands: [recover, automation],
  actionPrefixes: [PLAN_ACTION_PREFIX],
  shortcuts: [],
  events: [],
  register: registerPlanActions,
};
