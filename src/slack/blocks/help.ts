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
