/** The "Show logs" reply: recent log records of an agent as a code block, cut to Slack's limits. */
import { eventsOf, type LogRecord } from '../../runtime/schemas.js';
import { formatCount } from '../../diagnosis/quantities.js';
import { codeBlock, escapeShort, escapeText, md, type Mrkdwn } from './mrkdwn.js';
import { SLACK_LIMITS } from './limits.js';
import { context, section, type Block } from './vocabulary.js';
import type { SlackMessage } from './report.js';

/** Fields of an autogen-core event message that describe it; everything else (payload, prompts) is user data. */
const EVENT_FIELDS = ['type', 'kind', 'delivery_stage', 'sender', 'receiver', 'handling_agent', 'agent_id', 'topic_id', 'exception', 'error'] as const;

/**
 * A record's message without the user's data: autogen-core's events carry a JSON object whose `payload`
 * (and a model call's messages) are the application's data, which never reaches Slack (docs/commands.md):
 * only the describing fields are kept, and "payload omitted" says something was left out.
 */
export function messageWithoutPayload(message: string): string {
  if (!message.startsWith('{')) return message;
  let o: Record<string, unknown>;
  try { o = JSON.parse(message) as Record<string, unknown>; } catch { return message; }
  if (!o || typeof o !== 'object' || Array.isArray(o)) return message;
  const kept = EVENT_FIELDS.filter((k) => o[k] !== undefined && o[k] !== null)
    .map((k) => `${k}=${typeof o[k] === 'string' ? o[k] : JSON.stringify(o[k])}`);
  const omitted = Object.keys(o).some((k) => !(EVENT_FIELDS as readonly string[]).includes(k));
  return [...kept, ...(omitted ? ['(payload omitted)'] : [])].join(' ');
}

/** One record as a line; a record kept for several events under load says so (`×400`). */
export function logLine(r: LogRecord): string {
  const n = eventsOf(r);
  const parts = [r.ts.replace('T', ' ').replace(/\.\d+Z?$/, ''), r.level.padEnd(7), n > 1 ? `×${formatCount(n)}` : '', r.event ?? r.logger ?? '', messageWithoutPayload(r.message ?? '')];
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
  const events = records.reduce((n, r) => n + eventsOf(r), 0);
  // under load the bridge keeps a sample: each kept record says how many events it stands for
  const sampled = events > records.length ? ` standing for ${formatCount(events)} events (the bridge keeps a sample under load; ×N on a line)` : '';
  const blocks: Block[] = [
    section(md`*Logs of ${escapeShort(agent, 200)} on ${escapeShort(runtime, 200)}* — last ${windowMin} min, ${records.length} record${escapeText(records.length === 1 ? '' : 's')}${escapeText(sampled)}`),
    records.length ? section(codeBlock(lines.join('\n'))) : section(md`_No log records in this window._`),
  ];
  if (truncated) blocks.push(context([md`Showing the newest ${lines.length} of ${records.length}; the full log is attached as a file.`]));
  const text: Mrkdwn = md`Logs of ${escapeShort(agent, 200)} on ${escapeShort(runtime, 200)}: ${records.length} records`;
  return { text, blocks, truncated };
}
