/** The "Show logs" reply: recent log records of an agent as a code block, cut to Slack's limits. */
import type { LogRecord } from '../../runtime/schemas.js';
import { codeBlock, escapeText } from './mrkdwn.js';
import { SLACK_LIMITS } from './limits.js';
import { context, section, type Block } from './vocabulary.js';
import type { SlackMessage } from './report.js';

export function logLine(r: LogRecord): string {
  const parts = [r.ts.replace('T', ' ').replace(/\.\d+Z?$/, ''), r.level.padEnd(7), r.event ?? r.logger ?? '', r.message ?? ''];
  return parts.filter((p) => p !== '').join(' ').replace(/\s+/g, ' ').trim();
}

/** Newest records that fit; returns the message and whether some were left out (callers may upload all). */
export function logsMessage(agent: string, runtime: string, records: readonly LogRecord[], windowMin: number): SlackMessage & { truncated: boolean } {
  const budget = SLACK_LIMITS.sectionText - 100;
  const lines: string[] = [];
  let used = 0;
  for (const r of [...records].reverse()) {
    const line = logLine(r).slice(0, 300);
    if (used + line.length + 1 > budget) break;
    lines.unshift(line);
    used += line.length + 1;
  }
  const truncated = lines.length < records.length;
  const blocks: Block[] = [
    section(`*Logs of ${escapeText(agent)} on ${escapeText(runtime)}* — last ${windowMin} min, ${records.length} record${records.length === 1 ? '' : 's'}`),
    records.length ? section(codeBlock(lines.join('\n'))) : section('_No log records in this window._'),
  ];
  if (truncated) blocks.push(context([`Showing the newest ${lines.length} of ${records.length}; the full log is attached as a file.`]));
  return { text: `Logs of ${agent} on ${runtime}: ${records.length} records`, blocks, truncated };
}
