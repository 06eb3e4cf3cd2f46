/**
 * Checks a message against Slack's Block Kit limits (https://api.slack.com/reference/block-kit): what Slack
 * would reject (or cut silently). `slackLimitViolations` returns every violation, empty when the message
 * would post as built; `expectWithinSlackLimits` asserts there is none.
 */
import { expect } from 'vitest';
import { SLACK_LIMITS } from '../../src/slack/blocks/limits.js';

type Json = Record<string, unknown>;

function textOf(x: unknown): string | undefined {
  if (typeof x === 'string') return x;
  if (x && typeof x === 'object' && typeof (x as Json).text === 'string') return (x as Json).text as string;
  return undefined;
}

export function slackLimitViolations(msg: { text: string; blocks: readonly Json[] }): string[] {
  const v: string[] = [];
  if (msg.text.length === 0) v.push('empty fallback text');
  if (msg.text.length > SLACK_LIMITS.messageText) v.push(`text ${msg.text.length} > ${SLACK_LIMITS.messageText}`);
  if (msg.blocks.length > SLACK_LIMITS.blocksPerMessage) v.push(`${msg.blocks.length} blocks > ${SLACK_LIMITS.blocksPerMessage}`);
  msg.blocks.forEach((b, i) => {
    const where = `block ${i} (${String(b.type)})`;
    switch (b.type) {
      case 'header': {
        const t = textOf(b.text) ?? '';
        if ((b.text as Json | undefined)?.type !== 'plain_text') v.push(`${where}: header text must be plain_text`);
        if (t.length === 0 || t.length > SLACK_LIMITS.headerText) v.push(`${where}: header text length ${t.length}`);
        break;
      }
      case 'section': {
        const fields = (b.fields as Json[] | undefined) ?? [];
        const t = textOf(b.text) ?? '';
        if ((t.length === 0 && fields.length === 0) || t.length > SLACK_LIMITS.sectionText) v.push(`${where}: section text length ${t.length}`);
        if (fields.length > SLACK_LIMITS.sectionFields) v.push(`${where}: ${fields.length} fields`);
        for (const f of fields) {
          const ft = textOf(f) ?? '';
          if (ft.length === 0 || ft.length > SLACK_LIMITS.fieldText) v.push(`${where}: field text length ${ft.length}`);
        }
        break;
      }
      case 'context': {
        const els = (b.elements as Json[] | undefined) ?? [];
        if (els.length === 0 || els.length > SLACK_LIMITS.contextElements) v.push(`${where}: ${els.length} context elements`);
        for (const e of els) {
          const t = textOf(e) ?? '';
          if (t.length === 0 || t.length > SLACK_LIMITS.sectionText) v.push(`${where}: context text length ${t.length}`);
        }
        break;
      }
      case 'actions': {
        const els = (b.elements as Json[] | undefined) ?? [];
        if (els.length === 0 || els.length > SLACK_LIMITS.actionsElements) v.push(`${where}: ${els.length} action elements`);
        if (typeof b.block_id === 'string' && b.block_id.length > 255) v.push(`${where}: block_id too long`);
        const ids = new Set<string>();
        for (const e of els) {
          const id = String(e.action_id ?? '');
          if (id.length === 0 || id.length > SLACK_LIMITS.actionId) v.push(`${where}: action_id length ${id.length}`);
          if (ids.has(id)) v.push(`${where}: duplicate action_id ${id}`);
          ids.add(id);
          const value = typeof e.value === 'string' ? e.value : '';
          if (value.length >= SLACK_LIMITS.buttonValue) v.push(`${where}: button value length ${value.length}`);
          const label = textOf(e.text) ?? '';
          if (label.length === 0 || label.length > SLACK_LIMITS.buttonText) v.push(`${where}: button text length ${label.length}`);
          const confirm = e.confirm as Json | undefined;
          if (confirm) {
            const title = textOf(confirm.title) ?? '';
            const text = textOf(confirm.text) ?? '';
            if (title.length === 0 || title.length > SLACK_LIMITS.confirmTitle) v.push(`${where}: confirm title length ${title.length}`);
            if (text.length === 0 || text.length > SLACK_LIMITS.confirmText) v.push(`${where}: confirm text length ${text.length}`);
          }
        }
        break;
      }
      case 'divider':
        break;
      default:
        v.push(`${where}: unexpected block type`);
    }
  });
  return v;
}

/** Asserts that Slack would take the message as built (`label` names it in a failure). */
export function expectWithinSlackLimits(msg: { text: string; blocks: readonly Json[] }, label?: string): void {
  expect(slackLimitViolations(msg), label).toEqual([]);
}
