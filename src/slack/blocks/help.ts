/** `/autogen help`, generated from the subcommand registry. */
import { escapeText } from './mrkdwn.js';
import { SLACK_LIMITS, truncate } from './limits.js';

export interface HelpEntry {
  usage: string;
  summary: string;
}

export function helpText(command: string, entries: readonly HelpEntry[]): string {
  const lines = entries.map((e) => `• \`${command} ${e.usage}\` — ${escapeText(e.summary)}`);
  return truncate(`*AutoGen Ops* — what you can type:\n${lines.join('\n')}`, SLACK_LIMITS.sectionText);
}
