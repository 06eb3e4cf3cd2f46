/**
 * Making a message Slack refused fit, for a second try (the outbox's answer to `invalid_blocks`,
 * `msg_blocks_too_long` and `msg_too_long`). Pure, on the queue's JSON form of a message. Our builders stay
 * within `SLACK_LIMITS`; this is the net for whatever still slips through (a builder's bug, a limit Slack
 * tightened): the message is re-posted shorter rather than lost.
 *
 * - `fitBlocks`: every text and list cut to Slack's limits (on grapheme boundaries, never inside a
 *   `<…>` link or mention, an `&…;` entity or a code block), at most 50 blocks with the last actions kept.
 * - `textOnly`: the blocks' words as one mrkdwn text (no blocks at all) — what is left when Slack still
 *   refuses the fitted blocks.
 * - `cutMrkdwn`: a text cut to a length without breaking markup.
 */
import { shorten } from '../../text/shorten.js';
import { SLACK_LIMITS } from './limits.js';

type Json = Record<string, unknown>;

/** What Slack recommends as the longest `text` (it refuses some longer ones with `msg_too_long`). */
export const SAFE_TEXT_CHARS = 4_000;

/** `text` cut to at most `max` UTF-16 units, ending in "…", with no half link, half entity or open code block. */
export function cutMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  // room for a closing ``` added below
  let out = shorten(text, Math.max(1, max - 4));
  const body = out.slice(0, -1);
  let kept = body;
  const lt = kept.lastIndexOf('<');
  if (lt > kept.lastIndexOf('>')) kept = kept.slice(0, lt);
  const amp = kept.lastIndexOf('&');
  if (amp >= 0 && !kept.slice(amp).includes(';') && /^&[#a-z0-9]*$/i.test(kept.slice(amp))) kept = kept.slice(0, amp);
  out = `${kept}…`;
  if ((out.match(/```/g)?.length ?? 0) % 2 === 1) out += '```';
  return out;
}

function cutTextObject(obj: unknown, max: number): unknown {
  if (!obj || typeof obj !== 'object') return obj;
  const o = obj as Json;
  if (typeof o.text !== 'string' || o.text.length <= max) return obj;
  return { ...o, text: o.type === 'mrkdwn' ? cutMrkdwn(o.text, max) : shorten(o.text, max) };
}

function fitElement(el: Json): Json {
  const out: Json = { ...el };
  if (el.type === 'button') {
    out.text = cutTextObject(el.text, SLACK_LIMITS.buttonText);
  }
  if (el.confirm && typeof el.confirm === 'object') {
    const c = el.confirm as Json;
    out.confirm = { ...c, title: cutTextObject(c.title, SLACK_LIMITS.confirmTitle), text: cutTextObject(c.text, SLACK_LIMITS.confirmText) };
  }
  return out;
}

function fitBlock(b: Json): Json {
  switch (b.type) {
    case 'header':
      return { ...b, text: cutTextObject(b.text, SLACK_LIMITS.headerText) };
    case 'section': {
      const out: Json = { ...b };
      if (b.text !== undefined) out.text = cutTextObject(b.text, SLACK_LIMITS.sectionText);
      if (Array.isArray(b.fields)) out.fields = (b.fields as unknown[]).slice(0, SLACK_LIMITS.sectionFields).map((f) => cutTextObject(f, SLACK_LIMITS.fieldText));
      return out;
    }
    case 'context':
      return { ...b, elements: ((b.elements as Json[] | undefined) ?? []).slice(0, SLACK_LIMITS.contextElements).map((e) => cutTextObject(e, SLACK_LIMITS.sectionText)) };
    case 'actions':
      return { ...b, elements: ((b.elements as Json[] | undefined) ?? []).slice(0, SLACK_LIMITS.actionsElements).map(fitElement) };
    default:
      return b;
  }
}

/** The blocks within Slack's limits: texts and lists cut, at most 50 blocks (a final actions block kept). */
export function fitBlocks(blocks: readonly Json[]): Json[] {
  let kept = [...blocks];
  if (kept.length > SLACK_LIMITS.blocksPerMessage) {
    const last = kept[kept.length - 1];
    kept = last?.type === 'actions'
      ? [...kept.slice(0, SLACK_LIMITS.blocksPerMessage - 1), last]
      : kept.slice(0, SLACK_LIMITS.blocksPerMessage);
  }
  return kept.map(fitBlock);
}

function textsOf(b: Json): string[] {
  const t = (x: unknown): string | undefined => (x && typeof x === 'object' && typeof (x as Json).text === 'string' ? (x as Json).text as string : undefined);
  switch (b.type) {
    case 'header': {
      const h = t(b.text);
      return h ? [`*${h.replace(/\*/g, '')}*`] : [];
    }
    case 'section':
      return [t(b.text), ...((b.fields as unknown[] | undefined) ?? []).map(t)].filter((x): x is string => x !== undefined && x.length > 0);
    case 'context':
      return [((b.elements as unknown[] | undefined) ?? []).map(t).filter((x) => x).join('  ')].filter((x) => x.length > 0);
    default:
      return [];
  }
}

/**
 * The message as text alone: the blocks' words (header, sections, fields, context) one per line, buttons
 * dropped, cut to `max`; `fallback` when the blocks hold no words.
 */
export function textOnly(fallback: string, blocks: readonly Json[], max: number = SAFE_TEXT_CHARS): string {
  const lines = blocks.flatMap(textsOf);
  return cutMrkdwn(lines.length ? lines.join('\n') : fallback, max);
}
