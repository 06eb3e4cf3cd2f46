/**
 * A guide report (health, perf, message, logs, trace, inspect, snapshot) as a Slack message in the shared
 * report vocabulary: verdict header, headline, category, one ✅/⚠️/❌ line per check with its evidence and
 * fix, the tool's sections, the guide's flow (root cause → next steps → verify, or escalate) and follow-up
 * buttons. Pure; never exceeds Slack's limits: what does not fit is counted, and the full content is in the
 * report's attachment (uploaded next to the message).
 */
import type { FollowUp, Verdict } from '../../diagnosis/report.js';
import type { GuideReport, GuideTool, ReportSection, VerdictStatus } from '../../diagnosis/guide-report.js';
import { code, escapeText, joinMd, md, slackDate, truncateMd, type Mrkdwn } from './mrkdwn.js';
import { SLACK_LIMITS, truncate } from './limits.js';
import { buttons, checkSection, context, divider, fitBlocks, flowContext, header, listSection, section, VERDICT_EMOJI, VERDICT_EMOJI_MD, VERDICT_WORD, type Block } from './vocabulary.js';
import type { SlackMessage } from './report.js';

export const TOOL_TITLE: Readonly<Record<GuideTool, string>> = {
  health: 'Health check',
  perf: 'Performance',
  message: 'Message delivery',
  logs: 'Log analysis',
  trace: 'Message trace',
  inspect: 'Agent inspection',
  snapshot: 'Debug snapshot',
};

export function toVerdict(status: VerdictStatus): Verdict {
  return status === 'warning' ? 'degraded' : status;
}

/** A titled block of plain lines, escaped, cut by whole lines to one section (with "+N more lines"). */
export function sectionBlock(s: ReportSection, moreWhere: string): Block {
  const head = md`*${escapeText(s.title)}*`;
  const budget = SLACK_LIMITS.sectionText - head.length - 80;
  const out: Mrkdwn[] = [];
  let used = 0;
  for (const [i, raw] of s.lines.entries()) {
    const line = escapeText(truncate(raw, 600));
    if (used + line.length + 1 > budget) {
      out.push(md`_+${s.lines.length - i} more line${escapeText(s.lines.length - i === 1 ? '' : 's')} ${escapeText(moreWhere)}_`);
      break;
    }
    out.push(line);
    used += line.length + 1;
  }
  return section(md`${head}\n${joinMd(out, '\n')}`);
}

function flowBlocks(report: GuideReport): Block[] {
  const f = report.flow;
  const out: Block[] = [];
  if (f.rootCause) out.push(section(md`*Probable root cause*\n${escapeText(truncate(f.rootCause, 2_800))}`));
  if (f.fix.length > 0) out.push(listSection('Next steps (from the guide)', f.fix.slice(0, 8).map((x) => truncate(x, 300))));
  out.push(flowContext(f));
  return out;
}

export interface GuideMessageOptions {
  readonly followUps?: readonly FollowUp[];
  /** Shown when the report has an attachment that is uploaded next to the message. */
  readonly attachmentNote?: boolean;
}

export function guideReportMessage(report: GuideReport, opts: GuideMessageOptions = {}): SlackMessage {
  const verdict = toVerdict(report.verdict.status);
  const category = report.classification ? report.classification.label : report.verdict.status === 'healthy' ? 'no problem found' : 'unclassified';
  const checkedAt = Math.floor(Date.parse(report.generatedAt) / 1000);
  const head: Block[] = [
    header(`${VERDICT_EMOJI[verdict]} ${TOOL_TITLE[report.tool]}: ${report.subject} — ${VERDICT_WORD[verdict]}`),
    section(escapeText(truncate(report.verdict.headline, 2_900))),
    context([
      md`category: *${escapeText(category)}*`,
      md`runtime ${code(report.runtime)}`,
      md`checked ${slackDate(checkedAt, '{date_short_pretty} {time_secs}', report.generatedAt)}`,
    ]),
    divider(),
  ];
  // Problems first, then the passing checks: when space runs out, passing lines are what gets summarised.
  const ordered = [...report.findings.filter((f) => f.status !== 'ok'), ...report.findings.filter((f) => f.status === 'ok')];
  const moreWhere = report.attachment ? 'in the attached file' : 'left out';
  const middle: Block[] = [
    ...ordered.map((f) => checkSection(f.status, f.title, f.evidence, [], f.fix[0])),
    ...report.sections.map((s) => sectionBlock(s, moreWhere)),
  ];
  const tail: Block[] = [divider(), ...flowBlocks(report)];
  if (opts.followUps && opts.followUps.length > 0) {
    const btn = buttons(opts.followUps, `guide|${report.tool}|${report.runtime}`);
    if (btn.block) tail.push(btn.block);
    if (btn.omitted > 0) tail.push(context([md`${btn.omitted} follow-up button(s) left out: too large for Slack.`]));
  }
  if (report.attachment && opts.attachmentNote !== false) {
    tail.push(context([md`📎 Full content attached: ${code(report.attachment.filename)} (${Math.ceil(report.attachment.content.length / 1024)} KB)`]));
  }
  const blocks = fitBlocks(head, middle, tail, (n) => {
    const hidden = middle.length - n;
    const notOk = ordered.slice(hidden).filter((f) => f.status !== 'ok').length;
    return section(md`_…and ${n} more block${escapeText(n === 1 ? '' : 's')}${notOk ? md` (${notOk} not ok)` : md``} ${escapeText(moreWhere)}._`);
  });
  // The headline carries text from the runtime: escaped in the fallback too, not only in blocks.
  const text = truncateMd(md`${VERDICT_EMOJI_MD[verdict]} ${escapeText(TOOL_TITLE[report.tool])} — ${escapeText(report.verdict.headline)} [${escapeText(category)}]`, SLACK_LIMITS.messageText);
  return { text, blocks };
}
