/** `/autogen diagnose <agent> [runtime]` — queue the seed's Agent Diagnostic for one agent type. */
import { OpsError } from '../../errors.js';
import { code, md } from '../blocks/mrkdwn.js';
import { readAgent, readRuntime } from './args.js';
import type { Subcommand } from './types.js';

export const diagnose: Subcommand = {
  name: 'diagnose',
  aliases: ['diag'],
  usage: 'diagnose <agent> [runtime]',
  summary: 'check one agent type (registration, dependencies, errors, latency, resources) and post a report here',
  parse(args, ctx) {
    if (args.length > 2) {
      return { ok: false, error: new OpsError('COMMAND_USAGE', { usage: this.usage }, { detail: md`Too many words; type ${code(`${ctx.config.slack.command} ${this.usage}`)}.` }) };
    }
    const agent = readAgent(args[0], this.usage, ctx);
    if (agent instanceof OpsError) return { ok: false, error: agent };
    const runtime = readRuntime(args[1], ctx);
    if (runtime instanceof OpsError) return { ok: false, error: runtime };
    return {
      ok: true,
      ack: md`🔎 Diagnosing ${code(agent)} on runtime ${code(runtime)} — the report will be posted in this channel in a few seconds.`,
      job: {
        queue: 'diagnose',
        jobId: `diag-${ctx.requestId}`,
        payload: {
          mode: 'report',
          agent,
          runtime,
          channel: ctx.channel,
          user: ctx.user,
          source: 'slash',
          requested_at: ctx.now.toISOString(),
        },
      },
    };
  },
};
