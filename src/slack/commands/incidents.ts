/**
 * `/autogen incidents` — the open incidents whose thread is in this channel or in a channel the user is a
 * member of (src/incidents/visibility.ts), each with a link to its thread (answered ephemerally).
 */
import { OpsError } from '../../errors.js';
import { code, md } from '../blocks/mrkdwn.js';
import type { Subcommand } from './types.js';

export const incidents: Subcommand = {
  name: 'incidents',
  aliases: ['incident'],
  usage: 'incidents',
  summary: 'list the open incidents (alert threads) in this channel and the channels you are in, with links to their threads',
  parse(args, ctx) {
    if (args.length > 0) {
      return { ok: false, error: new OpsError('COMMAND_USAGE', { usage: this.usage }, { detail: md`It takes no arguments; type ${code(`${ctx.config.slack.command} ${this.usage}`)}.` }) };
    }
    return {
      ok: true,
      ack: md`📋 Looking up the open incidents — the list will appear here in a moment (only you see it).`,
      job: {
        queue: 'alert',
        jobId: `list-${ctx.requestId}`,
        payload: { kind: 'list', user: ctx.user, channel: ctx.channel, requested_at: ctx.now.toISOString() },
      },
    };
  },
};
