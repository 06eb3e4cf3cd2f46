/** `/autogen incidents` — the open incidents, each with a link to its thread (answered ephemerally). */
import { OpsError } from '../../errors.js';
import type { Subcommand } from './types.js';

export const incidents: Subcommand = {
  name: 'incidents',
  aliases: ['incident'],
  usage: 'incidents',
  summary: 'list the open incidents (alert threads) with links to their threads',
  parse(args, ctx) {
    if (args.length > 0) {
      return { ok: false, error: new OpsError('COMMAND_USAGE', { usage: this.usage }, { detail: `It takes no arguments; type \`${ctx.config.slack.command} ${this.usage}\`.` }) };
    }
    return {
      ok: true,
      ack: '📋 Looking up the open incidents — the list will appear here in a moment (only you see it).',
      job: {
        queue: 'alert',
        jobId: `list-${ctx.requestId}`,
        payload: { kind: 'list', user: ctx.user, channel: ctx.channel, requested_at: ctx.now.toISOString() },
      },
    };
  },
};
