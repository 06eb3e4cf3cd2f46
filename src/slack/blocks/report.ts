/**
 * A diagnosis `Report` as a Slack message: verdict header, the guide's category, one line per check, cause,
 * next steps, the guide's flow, buttons.
 */
import type { Report } from '../../diagnosis/report.js';
import { escapeText } from './mrkdwn.js';
import { SLACK_LIMITS, truncate } from './limits.js';
import { buttons, checkSection, context, divider, fitBlocks, flowContext, header, listSection, section, VERDICT_EMOJI, VERDICT_WORD, type Block } from './vocabulary.js';

export interface SlackMessage {
  /** Notification / fallback text (also what screen readers read). */
  text: string;
  blocks: Block[];
}

export function reportMessage(report: Report): SlackMessage {
  const head: Block[] = [
    header(`${VERDICT_EMOJI[report.verdict]} ${report.agent} on ${report.runtime} — ${VERDICT_WORD[report.verdict]}`),
    section(escapeText(report.headline)),
    context([`category: *${escapeText(report.classification?.label ?? 'no problem found')}*`, `checked <!date^${Math.floor(Date.parse(report.generated_at) / 1000)}^{date_short_pretty} {time_secs}|${report.generated_at}>`]),
    divider(),
  ];
  const middle = report.checks.map((c) => checkSection(c.status, c.title, c.summary, c.evidence, c.suggestion));
  const tail: Block[] = [];
  if (report.probable_cause) tail.push(section(`*Probable cause*\n${escapeText(report.probable_cause)}`));
  if (report.next_steps.length > 0) tail.push(listSection('Next steps', report.next_steps));
  tail.push(flowContext(report.flow));
  const btn = buttons(report.follow_ups, `diag|${report.runtime}|${report.agent}`);
  if (btn.block) tail.push(btn.block);
  if (btn.omitted > 0) tail.push(context([`${btn.omitted} follow-up button(s) left out: too large for Slack.`]));
  const blocks = fitBlocks(head, middle, tail, (n) => {
    const rest = report.checks.slice(report.checks.length - n);
    const worst = rest.filter((c) => c.status !== 'ok').map((c) => escapeText(c.title));
    return section(`…and ${n} more checks${worst.length ? ` (not ok: ${worst.join(', ')})` : ', all ok'}.`);
  });
  // The headline carries text from the runtime (exception messages): escaped in the fallback too, not only in blocks.
  const text = truncate(`${VERDICT_EMOJI[report.verdict]} ${escapeText(report.headline)}`, SLACK_LIMITS.messageText);
  return { text, blocks };
}
