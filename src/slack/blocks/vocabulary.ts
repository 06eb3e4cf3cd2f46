/**
 * The one report vocabulary every message of the bot uses: verdict header, ✅/⚠️/❌ evidence lines, cause,
 * next steps, follow-up buttons. Pure builders that respect Slack's limits by construction.
 */
import type { CheckStatus, FollowUp, Verdict } from '../../diagnosis/report.js';
import type { GuideFlow } from '../../diagnosis/classify.js';
import { escapeText, joinMd, md, truncateMd, type Mrkdwn } from './mrkdwn.js';
import { plainSafeLine } from './incident-text.js';
import { SLACK_LIMITS, truncate } from './limits.js';

/** A Block Kit `mrkdwn` text object: its text is `Mrkdwn` (escaped or ours), never a raw string. */
export type MrkdwnObject = { readonly type: 'mrkdwn'; readonly text: Mrkdwn; readonly verbatim?: boolean };
/** A Block Kit `plain_text` object: Slack parses no markup in it (builders still clean untrusted text). */
export type PlainTextObject = { readonly type: 'plain_text'; readonly text: string; readonly emoji?: boolean };
export type TextObject = MrkdwnObject | PlainTextObject;
export type ConfirmDialog = {
  readonly title: PlainTextObject;
  readonly text: TextObject;
  readonly confirm: PlainTextObject;
  readonly deny: PlainTextObject;
  readonly style?: 'primary' | 'danger';
};
export type ButtonElement = {
  readonly type: 'button';
  readonly action_id: string;
  readonly text: PlainTextObject;
  readonly value?: string;
  readonly url?: string;
  readonly style?: 'primary' | 'danger';
  readonly confirm?: ConfirmDialog;
};
export type OptionObject = { readonly text: PlainTextObject; readonly value: string };
export type StaticSelectElement = {
  readonly type: 'static_select';
  readonly action_id: string;
  readonly placeholder: PlainTextObject;
  readonly options: readonly OptionObject[];
};
/** A Block Kit block (the subset we build); every mrkdwn text in it is `Mrkdwn`. */
export type Block =
  | { readonly type: 'header'; readonly text: PlainTextObject; readonly block_id?: string }
  | { readonly type: 'section'; readonly text?: TextObject; readonly fields?: readonly TextObject[]; readonly block_id?: string; readonly accessory?: ButtonElement | StaticSelectElement }
  | { readonly type: 'context'; readonly elements: readonly TextObject[]; readonly block_id?: string }
  | { readonly type: 'divider'; readonly block_id?: string }
  | { readonly type: 'actions'; readonly elements: readonly ButtonElement[]; readonly block_id?: string };

export const STATUS_EMOJI: Record<CheckStatus, string> = { ok: '✅', warn: '⚠️', fail: '❌' };
export const VERDICT_EMOJI: Record<Verdict, string> = { healthy: '✅', degraded: '⚠️', failing: '❌', unreachable: '🔌' };
export const VERDICT_WORD: Record<Verdict, string> = { healthy: 'Healthy', degraded: 'Degraded', failing: 'Failing', unreachable: 'Runtime unreachable' };
const STATUS_EMOJI_MD: Record<CheckStatus, Mrkdwn> = { ok: md`✅`, warn: md`⚠️`, fail: md`❌` };
/** The verdict emoji as mrkdwn (for message texts). */
export const VERDICT_EMOJI_MD: Record<Verdict, Mrkdwn> = { healthy: md`✅`, degraded: md`⚠️`, failing: md`❌`, unreachable: md`🔌` };
/** The verdict word as mrkdwn. */
export const VERDICT_WORD_MD: Record<Verdict, Mrkdwn> = { healthy: md`Healthy`, degraded: md`Degraded`, failing: md`Failing`, unreachable: md`Runtime unreachable` };

/** A mrkdwn text object, cut to a section's 3,000 characters. */
export function mrkdwnText(text: Mrkdwn, verbatim = false): MrkdwnObject {
  return { type: 'mrkdwn', text: truncateMd(text, SLACK_LIMITS.sectionText), ...(verbatim ? { verbatim: true } : {}) };
}

/** A plain_text object of untrusted text: invisible characters removed, mention characters broken, cut. */
export function plainText(text: string, max: number = SLACK_LIMITS.sectionText, emoji = true): PlainTextObject {
  return { type: 'plain_text', text: plainSafeLine(text, max), emoji };
}

/** A header (plain text, one line, cleaned like any untrusted text, cut to 150 characters). */
export function header(text: string): Block {
  return { type: 'header', text: plainText(text, SLACK_LIMITS.headerText) };
}

/** A mrkdwn section. Cut to 3,000 characters (never inside an entity). */
export function section(text: Mrkdwn): Block {
  return { type: 'section', text: mrkdwnText(text) };
}

export function context(parts: readonly Mrkdwn[]): Block {
  return { type: 'context', elements: parts.slice(0, SLACK_LIMITS.contextElements).map((p) => mrkdwnText(p)) };
}

export const divider = (): Block => ({ type: 'divider' });

/**
 * One evidence line: `✅ *Title* — summary` and indented evidence bullets (escaped here), then the fix.
 * Evidence is dropped from the end (with "+N more") to stay within a section's 3,000 characters.
 */
export function checkSection(status: CheckStatus, title: string, summary: string, evidence: readonly string[] = [], fix?: string): Block {
  const head = md`${STATUS_EMOJI_MD[status]} *${escapeText(title)}* — ${escapeText(summary)}`;
  const tail = fix && status !== 'ok' ? md`\n      _Fix:_ ${escapeText(fix)}` : md``;
  const budget = SLACK_LIMITS.sectionText - head.length - tail.length - 20;
  const lines: Mrkdwn[] = [];
  let used = 0;
  for (const [i, e] of evidence.entries()) {
    const line = md`\n      • ${escapeText(truncate(e, 500))}`;
    if (used + line.length > budget) {
      lines.push(md`\n      • +${evidence.length - i} more`);
      break;
    }
    lines.push(line);
    used += line.length;
  }
  return section(md`${head}${joinMd(lines, '')}${tail}`);
}

/** The guide's flow in one context line: classify → collect → analyse, then verify or escalate. */
export function flowContext(f: GuideFlow): Block {
  const steps = [md`*Flow* classify: ${escapeText(f.classify)} → collect: ${escapeText(f.collect.join(', '))} → analyse: ${escapeText(f.analyse)}`];
  if (f.verify) steps.push(md`verify: ${escapeText(f.verify)}`);
  if (f.escalate) steps.push(md`escalate: ${escapeText(f.escalate)}`);
  return context(steps);
}

/** Numbered list under a bold label (escaped here). */
export function listSection(label: string, items: readonly string[]): Block {
  const body = joinMd(items.map((s, i) => md`${i + 1}. ${escapeText(s)}`), '\n');
  return section(md`*${escapeText(label)}*\n${body}`);
}

export interface ButtonsResult {
  block: Block | undefined;
  /** Buttons left out because their value or id is beyond Slack's limits. */
  omitted: number;
}

/** An actions block of follow-up buttons; a button Slack would reject is left out and counted. */
export function buttons(followUps: readonly FollowUp[], blockId?: string): ButtonsResult {
  const ok = followUps.filter((f) => f.value.length < SLACK_LIMITS.buttonValue && f.action_id.length <= SLACK_LIMITS.actionId);
  const kept = ok.slice(0, SLACK_LIMITS.actionsElements);
  if (kept.length === 0) return { block: undefined, omitted: followUps.length };
  return {
    block: {
      type: 'actions',
      ...(blockId ? { block_id: truncate(blockId, 255) } : {}),
      elements: kept.map((f) => ({
        type: 'button',
        action_id: f.action_id,
        text: plainText(f.label, SLACK_LIMITS.buttonText),
        value: f.value,
        ...(f.style ? { style: f.style } : {}),
      })),
    },
    omitted: followUps.length - kept.length,
  };
}

/**
 * Fits a message into 50 blocks: keeps `head` and `tail` whole and as many `middle` blocks as fit; the
 * rest become one summary section produced by `summarise(count)`.
 */
export function fitBlocks(head: readonly Block[], middle: readonly Block[], tail: readonly Block[], summarise: (omitted: number) => Block): Block[] {
  const room = SLACK_LIMITS.blocksPerMessage - head.length - tail.length;
  if (middle.length <= room) return [...head, ...middle, ...tail];
  const keep = Math.max(0, room - 1);
  return [...head, ...middle.slice(0, keep), summarise(middle.length - keep), ...tail].slice(0, SLACK_LIMITS.blocksPerMessage);
}
