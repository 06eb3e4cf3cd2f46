/**
 * The `plan:` buttons (Approve, Reject, New plan, Keep, Revert now): ack at once, then decide in
 * `src/approvals/click.ts` — allowed approver, kill switch, atomic single-use consume bound to the plan
 * hash — and queue the run. Refusals reach the user as ephemerals that say why.
 */
import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { appendAudit } from '../../audit/stream.js';
import { handlePlanClick, type ClickDeps } from '../../approvals/click.js';
import { GroupDirectory, slackUserGroupLookup } from '../../approvals/groups.js';
import { keyPrefix } from '../../queues/connection.js';
import { slackApprovalPresenter } from '../presenters/approvals.js';
import { createWebClient } from '../client.js';
import type { EnqueueRequest } from '../commands/types.js';
import type { BotDeps } from '../deps.js';
import { ackThenEnqueue, enqueueWithin } from './enqueue.js';

/** The action_id prefix of a plan's buttons (`PLAN_ACTIONS`, src/approvals/buttons.ts). */
export const PLAN_ACTION_PREFIX = 'plan:';

/** The process's directory of approver groups: configured members plus Slack's, cached (`src/approvals/groups.ts`). */
export function approverGroupsOf(deps: Pick<BotDeps, 'config' | 'logger' | 'now'>): GroupDirectory {
  const { response } = deps.config;
  return new GroupDirectory({
    configured: response.groups,
    lookup: response.groupsFromSlack ? slackUserGroupLookup(createWebClient(deps.config)) : undefined,
    ttlMs: response.groupsTtlMs,
    logger: deps.logger.child({ component: 'approver-groups' }),
    now: () => deps.now().getTime(),
  });
}

export function clickDepsOf(deps: BotDeps): ClickDeps {
  const prefix = keyPrefix(deps.config.queues.prefix);
  return {
    redis: deps.redis,
    prefix,
    outbox: deps.outbox,
    presenter: slackApprovalPresenter,
    queues: deps.queues,
    logger: deps.logger,
    groups: approverGroupsOf(deps),
    dryRunOnly: deps.config.response.dryRunOnly,
    requireOtherPerson: deps.config.response.requireOtherPerson,
    now: deps.now,
    audit: async (e) => { await appendAudit(deps.redis, prefix, e, deps.config.response.audit); },
    enqueue: (queue, payload, jobId) => enqueueWithin(deps.queues, { queue, payload, jobId } as EnqueueRequest),
  };
}

export function registerPlanActions(app: App, deps: BotDeps): void {
  const click = clickDepsOf(deps);
  app.action<BlockAction<ButtonAction>>({ action_id: new RegExp(`^${PLAN_ACTION_PREFIX}`) }, async ({ ack, body, action }) => {
    const log = deps.logger.child({ surface: 'action', action_id: action.action_id, user: body.user.id });
    const channel = body.channel?.id ?? body.container?.channel_id;
    const asker = channel ? { channel, user: body.user.id } : undefined;
    await ackThenEnqueue(ack, deps, log, 'plan action', asker, (at) => ({
      // decided in src/approvals/click.ts, which queues the run itself
      run: () => handlePlanClick(click, {
        actionId: action.action_id, value: action.value, user: at.user, channel: at.channel,
        messageTs: body.message?.ts, requestId: body.trigger_id ?? `${body.user.id}-${action.action_ts}`,
      }),
    }));
  });
}
