/**
 * The `/autogen` slash command: parse (pure, `src/slack/commands`), enqueue, ack ephemerally with what was
 * queued — or with a coded error that says what to type instead (nothing enqueued). A command whose answer
 * may go through its response_url, typed where the bot cannot post (a cached `conversations.info`), is
 * acked with a note saying so (`src/slack/bot-membership.ts`); `recover` there (or in a DM) is refused
 * instead (`PLAN_NEEDS_CHANNEL`): a plan others approve is never made privately.
 */
import type { App } from '@slack/bolt';
import { errorAckText, parseCommand, SUBCOMMANDS, type EnqueueRequest, type Subcommand } from '../commands/index.js';
import { ResponseUrl } from '../../identifiers.js';
import type { BotDeps } from '../deps.js';
import { asQueueError, enqueueWithin } from './enqueue.js';
import { md } from '../blocks/mrkdwn.js';
import { BotMembershipCache, DEFAULT_BOT_MEMBERSHIP, isDirectConversation, notMemberAckNote, planNeedsChannel, type BotMembership, type InfoCaller } from '../bot-membership.js';

/**
 * Queues whose answers may go through the command's response_url when the bot is not in the channel:
 * diagnose, guide, respond (`recover`, `automation`, `audit`) and alert (`incidents`).
 */
const ANSWERS_VIA_RESPONSE_URL: readonly EnqueueRequest['queue'][] = ['diagnose', 'guide', 'respond', 'alert'];

/** Whether the job's answer is an announcement to the channel (through the response_url: `in_channel`). */
export function answersInChannel(job: EnqueueRequest): boolean {
  return job.queue === 'respond' && job.payload.kind === 'automation' && job.payload.mode !== 'status';
}

/**
 * Whether the job makes something only a channel can hold: a recovery plan (approved by other people; its
 * edits and outcome thread need its message). Typed where the bot cannot post, it is refused at ack
 * (`PLAN_NEEDS_CHANNEL`), not made privately through the response_url.
 */
export function needsChannel(job: EnqueueRequest): boolean {
  return job.queue === 'respond' && (job.payload.kind ?? 'plan') === 'plan';
}

/**
 * The job with the command's response_url, for the queues that use it (the worker answers there when
 * `chat.postMessage` says the bot is not in the channel: a private channel or DM it was not invited to).
 */
export function withResponseUrl(job: EnqueueRequest, responseUrl: string | undefined): EnqueueRequest {
  if (!responseUrl || !ResponseUrl.safeParse(responseUrl).success || !ANSWERS_VIA_RESPONSE_URL.includes(job.queue)) return job;
  return { ...job, payload: { ...job.payload, response_url: responseUrl } } as EnqueueRequest;
}

/** The one `/autogen` listener, routing to `subcommands` (the features', `src/slack/features`). */
export function register(app: App, deps: BotDeps, subcommands: readonly Subcommand[] = SUBCOMMANDS): void {
  const membership = new BotMembershipCache({ ...DEFAULT_BOT_MEMBERSHIP, now: () => deps.now().getTime() });
  app.command(deps.config.slack.command, async ({ command, ack, client }) => {
    // fields per call, not a child logger per request: pino serialises (and redacts) child bindings eagerly
    const where = { surface: 'command', user: command.user_id, channel: command.channel_id };
    const log = deps.logger;
    const result = parseCommand(command.text ?? '', {
      config: deps.config,
      user: command.user_id,
      channel: command.channel_id,
      team: command.team_id,
      now: deps.now(),
      requestId: command.trigger_id,
    }, subcommands);
    if (!result.ok) {
      log.info({ ...where, code: result.error.code, text: command.text.slice(0, 200) }, 'command rejected');
      deps.metrics?.commands.inc({ outcome: 'rejected' });
      await ack({ response_type: 'ephemeral', text: errorAckText(result.error) });
      return;
    }
    let note = false;
    if (result.job) {
      const job = withResponseUrl(result.job, command.response_url);
      let canPost: Promise<BotMembership>;
      if (needsChannel(result.job)) {
        // asked before anything is queued: a plan is made only where its approvers can see it; `unknown`
        // (no answer in time) goes ahead, and a refused post closes the plan (src/response/plan-closing.ts)
        const direct = isDirectConversation(command.channel_id, command.channel_name);
        const known = direct ? 'not_member' : await membership.check(client as unknown as InfoCaller, command.channel_id);
        if (known === 'not_member') {
          const err = planNeedsChannel({ channel: command.channel_id, channelName: command.channel_name, alertChannel: deps.config.alerts.channel });
          log.info({ ...where, code: err.code, direct }, 'command refused: a recovery plan needs a channel the bot can post in');
          deps.metrics?.commands.inc({ outcome: 'rejected' });
          await ack({ response_type: 'ephemeral', text: errorAckText(err) });
          return;
        }
        canPost = Promise.resolve(known);
      } else {
        // asked while the job is queued: whether the bot can post here changes only what the ack says
        canPost = job !== result.job ? membership.check(client as unknown as InfoCaller, command.channel_id) : Promise.resolve('unknown');
      }
      try {
        const jobId = await enqueueWithin(deps.queues, job);
        log.info({ ...where, queue: result.job.queue, job_id: jobId }, 'command queued');
        if ((await canPost) === 'not_member') {
          note = true;
          log.info({ ...where, queue: result.job.queue, job_id: jobId, via: 'response_url' }, 'the bot is not in the channel; the answer will fall back to the command\'s response_url');
        }
      } catch (err) {
        const e = asQueueError(err);
        log.error({ ...where, err, code: e.code }, 'command could not be queued');
        deps.metrics?.commands.inc({ outcome: 'queue_unavailable' });
        await ack({ response_type: 'ephemeral', text: errorAckText(e) });
        return;
      }
    }
    deps.metrics?.commands.inc({ outcome: 'queued' });
    const text = note && result.job ? md`${result.ack}\n${notMemberAckNote(command.channel_id, command.channel_name, answersInChannel(result.job))}` : result.ack;
    await ack({ response_type: 'ephemeral', text });
  });
}
