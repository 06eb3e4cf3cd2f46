/**
 * The `/autogen` slash command: parse (pure, `src/slack/commands`), enqueue, ack ephemerally with what was
 * queued — or with a coded error that says what to type instead (nothing enqueued).
 */
import type { App } from '@slack/bolt';
import { isOpsError, OpsError } from '../../errors.js';
import { errorAckText, parseCommand, SUBCOMMANDS } from '../commands/index.js';
import type { BotDeps } from '../deps.js';
import { enqueueWithin } from './enqueue.js';

export function register(app: App, deps: BotDeps): void {
  app.command(deps.config.slack.command, async ({ command, ack }) => {
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
    }, deps.subcommands ?? SUBCOMMANDS);
    if (!result.ok) {
      log.info({ ...where, code: result.error.code, text: command.text.slice(0, 200) }, 'command rejected');
      deps.metrics?.commands.inc({ outcome: 'rejected' });
      await ack({ response_type: 'ephemeral', text: errorAckText(result.error) });
      return;
    }
    if (result.job) {
      try {
        const jobId = await enqueueWithin(deps.queues, result.job);
        log.info({ ...where, queue: result.job.queue, job_id: jobId }, 'command queued');
      } catch (err) {
        const e = isOpsError(err) ? err : new OpsError('QUEUE_UNAVAILABLE', {}, { cause: err });
        log.error({ ...where, err, code: e.code }, 'command could not be queued');
        deps.metrics?.commands.inc({ outcome: 'queue_unavailable' });
        await ack({ response_type: 'ephemeral', text: errorAckText(e) });
        return;
      }
    }
    deps.metrics?.commands.inc({ outcome: 'queued' });
    await ack({ response_type: 'ephemeral', text: result.ack });
  });
}
