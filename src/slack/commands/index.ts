/**
 * The `/autogen` router: the words after the command → one subcommand's parse. The subcommands come from
 * the bot's features (src/slack/features/index.ts: each feature lists its own; `help` is added last and
 * is generated from the same list).
 */
import { OpsError } from '../../errors.js';
import { code, joinMd, md } from '../blocks/mrkdwn.js';
import { SUBCOMMANDS } from '../features/index.js';
import type { CommandContext, ParseResult, Subcommand } from './types.js';

export type { CommandContext, EnqueueRequest, ParseResult, Subcommand } from './types.js';
export { SUBCOMMANDS };

/** Splits the command text into words (collapsing whitespace, Slack's non-breaking spaces included). */
export function tokenize(text: string): string[] {
  return text.replace(/\u00a0/g, ' ').trim().split(/\s+/).filter((w) => w.length > 0);
}

/** Parses the text after `/autogen`: empty → help; unknown word → `COMMAND_UNKNOWN` naming the choices. */
export function parseCommand(text: string, ctx: Omit<CommandContext, 'subcommands'>, subcommands: readonly Subcommand[] = SUBCOMMANDS): ParseResult {
  const [first, ...args] = tokenize(text);
  const full: CommandContext = { ...ctx, subcommands };
  const word = (first ?? 'help').toLowerCase();
  const sub = subcommands.find((s) => s.name === word || (s.aliases ?? []).includes(word));
  if (!sub) {
    const names = joinMd(subcommands.map((s) => code(s.name)), ', ');
    return {
      ok: false,
      error: new OpsError('COMMAND_UNKNOWN', { word: word.slice(0, 40) }, { detail: md`${code(word.slice(0, 40))} is not one of ${names}.` }),
    };
  }
  return sub.parse(args, full);
}

/** The ephemeral text for a coded error (src/slack/blocks/error-ack.ts). */
export { errorAckText } from '../blocks/error-ack.js';
