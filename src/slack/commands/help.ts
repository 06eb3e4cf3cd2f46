/** `/autogen help` — lists the subcommands, generated from the registry. */
import { helpText } from '../blocks/help.js';
import type { Subcommand } from './types.js';

export const help: Subcommand = {
  name: 'help',
  usage: 'help',
  summary: 'show this list',
  parse(_args, ctx) {
    return { ok: true, ack: helpText(ctx.config.slack.command, ctx.subcommands) };
  },
};
