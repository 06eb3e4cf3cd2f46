/**
 * The one report vocabulary every message of the bot uses: verdict header, ✅/⚠️/❌ evidence lines, cause,
 * next steps, follow-up buttons. Pure builders that respect Slack's limits by construction.
 */
import type { CheckStatus, FollowUp, Verdict } from '../../diagnosis/report.js';
import type { GuideFlow } from '../../diagnosis/classify.js';
import { escapeText } from './mrkdwn.js';
import { SLACK_LIMITS, truncate } from './limits.js';

/** A Block Kit block as JSON (the subset we build). */
export type Block = Record<string, unknown>;

export const STATUS_EMOJI: Record<CheckStatus, string> = { ok: '✅', warn: '⚠️', fail: '❌' };
export const VERDICT_EMOJI: Record<Verdict, string> = { healthy: '✅', degraded: '⚠️', failing: '❌', unreachable: '🔌' };
export const VERDICT_WORD: Record<Verdict, string> = { healthy: 'Healthy', degraded: 'Degraded', failing: 'Failing', unreachable: 'Runtime unreachable' };

export function header(text: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, SLACK_LIMITS.headerText), emoji: true } };
}

/** A mrkdwn section; `text` must already be escaped. Cut to 3,000 characters. */
export function section(mrkdwn: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(mrkdwn, SLACK_LIMITS.sectionText) } };
}

export function context(parts: readonly string[]): Block {
  return {
    type: 'context',
    elements: parts.slice(0, SLACK_LIMITS.contextElements).map((p) => ({ type: 'mrkdwn', text: truncate(p, SLACK_LIMITS.sectionText) })),
  };
}

export const divider = (): Block => ({ type: 'divider' });

/**
 * One evidence line: `✅ *Title* — summary` and indented evidence bullets (escaped here), then the fix.
 * Evidence is dropped from the end (with "+N more") to stay within a section's 3,000 characters.
 */
export function checkSection(status: CheckStatus, title: string, summary: string, evidence: readonly string[] = [], fix?: string): Block {
  const head = `${STATUS_EMOJI[status]} *${escapeText(title)}* — ${escapeText(summary)}`;
  const tail = fix && status !== 'ok' ? `\n      _Fix:_ ${escapeText(fix)}` : '';
  const budget = SLACK_LIMITS.sectionText - head.length - tail.length - 20;
  const lines: string[] = [];
  let used = 0;
  for (const [i, e] of evidence.entries()) {
    const line = `\n      • ${escapeText(truncate(e, 500))}`;
    if (used + line.length > budget) {
      lines.push(`\n      • +${evidence.length - i} more`);
      break;
    }
    lines.push(line);
    used += line.length;
  }
  return section(`${head}${lines.join('')}${tail}`);
}

/** The guide's flow in one context line: classify → collect → analyse, then verify or escalate. */
export function flowContext(f: GuideFlow): Block {
  const steps = [`*Flow* classify: ${escapeText(f.classify)} → collect: ${escapeText(f.collect.join(', '))} → analyse: ${escapeText(f.analyse)}`];
  if (f.verify) steps.push(`verify: ${escapeText(f.verify)}`);
  if (f.escalate) steps.push(`escalate: ${escapeText(f.escalate)}`);
  return context(steps);
}

/** Numbered list under a bold label (escaped here). */
export function listSection(label: string, items: readonly string[]): Block {
  const body = items.map((s, i) => `${i + 1}. ${escapeText(s)}`).join('\n');
  return section(`*${escapeText(label)}*\n${body}`);
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
        text: { type: 'plain_text', text: truncate(f.label, SLACK_LIMITS.buttonText), emoji: true },
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
