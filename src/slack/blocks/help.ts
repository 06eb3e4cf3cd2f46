/** `/autogen help`, generated from the subcommand registry. */
import { code, escapeText, joinMd, md, truncateMd, type Mrkdwn } from './mrkdwn.js';
import { SLACK_LIMITS } from './limits.js';

export interface HelpEntry {
  usage: string;
  summary: string;
}

export function helpText(command: string, entries: readonly HelpEntry[]): Mrkdwn {
  const lines = entries.map((e) => md`• ${code(`${command} ${e.usage}`)} — ${escapeText(e.summary)}`);
  return truncateMd(md`*AutoGen Ops* — what you can type:\n${joinMd(lines, '\n')}`, SLACK_LIMITS.sectionText);
}

/**
 * Pure: the slash command's usage hint in manifest.json (`features.slash_commands[0].usage_hint`): every
 * subcommand with its required words, optional `[…]` words left out, e.g. `diagnose <agent> | health | …`.
 * Plain text (Slack shows it as typed, not as mrkdwn); test/manifest.test.ts keeps the manifest equal to it.
 */
export function usageHint(entries: readonly HelpEntry[]): string {
  return entries.map((e) => e.usage.split(/\s+/).filter((w) => !w.startsWith('[')).join(' ')).join(' | ');
}
