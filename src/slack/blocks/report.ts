/**
 * A diagnosis `Report` as a Slack message: verdict header, the guide's category, one line per check, cause,
 * next steps, the guide's flow, buttons.
 */
import type { Report } from '../../diagnosis/report.js';
import { escapeText, md, slackDate, truncateMd, type Mrkdwn } from './mrkdwn.js';
import { SLACK_LIMITS } from './limits.js';
import { buttons, checkSection, context, divider, fitBlocks, flowContext, header, listSection, section, VERDICT_EMOJI, VERDICT_EMOJI_MD, VERDICT_WORD, type Block } from './vocabulary.js';

export interface SlackMessage {
  /** Notification / fallback text (also what screen readers read): mrkdwn, escaped like the blocks. */
  text: Mrkdwn;
  blocks: Block[];
}

export function reportMessage(report: Report): SlackMessage {
  const head: Block[] = [
    header(`${VERDICT_EMOJI[report.verdict]} ${report.label ?? report.agent} on ${report.runtime} — ${VERDICT_WORD[report.verdict]}`),
    section(escapeText(report.headline)),
    context([md`category: *${escapeText(report.classification?.label ?? 'no problem found')}*`, md`checked ${slackDate(Date.parse(report.generated_at) / 1000, '{date_short_pretty} {time_secs}', report.generated_at)}`]),
    divider(),
  ];
  const middle = report.checks.map((c) => checkSection(c.status, c.title, c.summary, c.evidence, c.suggestion));
  const tail: Block[] = [];
  if (report.probable_cause) tail.push(section(md`*Probable cause*\n${escapeText(report.probable_cause)}`));
  if (report.next_steps.length > 0) tail.push(listSection('Next steps', report.next_steps));
  tail.push(flowContext(report.flow));
  const btn = buttons(report.follow_ups, `diag|${report.runtime}|${report.label ?? report.agent}`);
  if (btn.block) tail.push(btn.block);
  if (btn.omitted > 0) tail.push(context([md`${btn.omitted} follow-up button(s) left out: too large for Slack.`]));
  const blocks = fitBlocks(head, middle, tail, (n) => {
    const rest = report.checks.slice(report.checks.length - n);
    const worst = rest.filter((c) => c.status !== 'ok').map((c) => c.title);
    return section(worst.length ? md`…and ${n} more checks (not ok: ${escapeText(worst.join(', '))}).` : md`…and ${n} more checks, all ok.`);
  });
  // The headline carries text from the runtime (exception messages): escaped in the fallback too, not only in blocks.
  const text = truncateMd(md`${VERDICT_EMOJI_MD[report.verdict]} ${escapeText(report.headline)}`, SLACK_LIMITS.messageText);
  return { text, blocks };
}
