/**
 * The App Home tab and the message shortcut's answer: every runtime's health at a glance and the `/autogen`
 * subcommands. Pure.
 */
import type { GuideReport } from '../../diagnosis/guide-report.js';
import type { Subcommand } from '../commands/types.js';
import { code, escapeText, md, slackDate, type Mrkdwn } from './mrkdwn.js';
import { SLACK_LIMITS, truncate } from './limits.js';
import { toVerdict } from './guide.js';
import { context, divider, header, section, VERDICT_EMOJI_MD, VERDICT_WORD_MD, type Block } from './vocabulary.js';

/** One runtime's line: its health report, or why it could not be read. */
export type RuntimeGlance = { readonly runtime: string; readonly report: GuideReport } | { readonly runtime: string; readonly error: string };

/** Slack's limit for blocks in a Home tab view. */
export const HOME_MAX_BLOCKS = 100;

function glanceLine(g: RuntimeGlance): Mrkdwn {
  if ('error' in g) return md`🔌 *${escapeText(g.runtime)}* — Runtime unreachable: ${escapeText(truncate(g.error, 300))}`;
  const v = toVerdict(g.report.verdict.status);
  const c = g.report.classification;
  if (!c) return md`${VERDICT_EMOJI_MD[v]} *${escapeText(g.runtime)}* — ${VERDICT_WORD_MD[v]}: ${escapeText(truncate(g.report.verdict.headline, 400))}`;
  const what = `${c.primary.title} — ${c.primary.evidence}`;
  return md`${VERDICT_EMOJI_MD[v]} *${escapeText(g.runtime)}* — ${VERDICT_WORD_MD[v]} _(${escapeText(c.label)})_: ${escapeText(truncate(what, 400))}`;
}

/** Lines packed into as few sections as Slack allows (3,000 characters each). */
function packed(lines: readonly Mrkdwn[], maxBlocks: number): Block[] {
  const out: Block[] = [];
  let current = md``;
  for (const [i, line] of lines.entries()) {
    if (current && current.length + line.length + 1 > SLACK_LIMITS.sectionText - 50) {
      if (out.length === maxBlocks - 1) {
        out.push(section(md`${current}\n_+${lines.length - i} more_`));
        return out;
      }
      out.push(section(current));
      current = md``;
    }
    current = current ? md`${current}\n${line}` : line;
  }
  if (current) out.push(section(current));
  return out;
}

export function glanceBlocks(glances: readonly RuntimeGlance[], command: string, subcommands: readonly Subcommand[], now: Date, maxBlocks: number): Block[] {
  const runtimes = glances.length ? glances.map(glanceLine) : [md`_No runtime is configured (AUTOGEN_RUNTIMES)._`];
  const commands = subcommands.map((s) => md`${code(`${command} ${s.usage}`)} — ${escapeText(s.summary)}`);
  const head: Block[] = [header('AutoGen Ops'), section(md`*Runtimes at a glance*`)];
  const tail: Block[] = [context([md`Updated ${slackDate(now.getTime() / 1000, '{date_short_pretty} {time_secs}', now.toISOString())} · run ${code(`${command} health <runtime>`)} for the full report`])];
  const room = maxBlocks - head.length - tail.length - 2;
  const runtimeBlocks = packed(runtimes, Math.max(1, Math.floor(room / 2)));
  const commandBlocks = packed(commands, Math.max(1, room - runtimeBlocks.length));
  return [...head, ...runtimeBlocks, divider(), section(md`*Commands*`), ...commandBlocks, ...tail].slice(0, maxBlocks);
}

/** The Home tab view (`views.publish`). */
export function homeView(glances: readonly RuntimeGlance[], command: string, subcommands: readonly Subcommand[], now: Date): { type: 'home'; blocks: Block[] } {
  return { type: 'home', blocks: glanceBlocks(glances, command, subcommands, now, HOME_MAX_BLOCKS) };
}

/** The shortcut's ephemeral answer. */
export function glanceMessage(glances: readonly RuntimeGlance[], command: string, subcommands: readonly Subcommand[], now: Date): { text: Mrkdwn; blocks: Block[] } {
  const worst = glances.filter((g) => 'error' in g || g.report.verdict.status !== 'healthy').length;
  const text = glances.length === 0 ? md`AutoGen Ops: no runtime configured` : md`AutoGen Ops: ${glances.length - worst} of ${glances.length} runtimes healthy`;
  return { text, blocks: glanceBlocks(glances, command, subcommands, now, SLACK_LIMITS.blocksPerMessage) };
}
