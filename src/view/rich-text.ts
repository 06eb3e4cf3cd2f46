/**
 * The domain's words for people, without knowing the chat platform: a sentence is our literal wording
 * with typed holes — untrusted text, an inline code span, a user or user-group reference, a coded refusal.
 * A presenter (src/slack/blocks/rich-text.ts for Slack) renders it, escaping every hole; nothing here
 * escapes or knows a markup. Our literal wording may use the emphasis shared by chat platforms (`*bold*`,
 * `_italic_`, backticks) and emoji shortcodes.
 *
 * `rich\`Plan ${code(id)} by ${mention(user)}: ${reason}\`` — a raw string interpolated is untrusted text
 * (shown as typed, never as markup); numbers and other `RichText` are spliced in.
 */
import type { OpsError } from '../errors.js';

export type RichNode =
  /** Our own wording (written in this repository). */
  | { readonly k: 'ours'; readonly v: string }
  /** Text from outside (labels, names, messages, what a user typed): shown as typed. */
  | { readonly k: 'text'; readonly v: string }
  /** An inline code span of untrusted text. */
  | { readonly k: 'code'; readonly v: string }
  /** A chat user id (a mention when it is one, else shown as text). */
  | { readonly k: 'user'; readonly v: string }
  /** A chat user-group id (a group mention when it is one, else shown as text). */
  | { readonly k: 'group'; readonly v: string }
  /** A coded refusal told to a person: what is wrong, what to do, the code. */
  | { readonly k: 'refusal'; readonly v: OpsError };

/** Words for people, rendered by a presenter. Made by `rich`, `code`, `mention`, `groupMention`, `joinRich`, `refusal`. */
export class RichText {
  constructor(readonly nodes: readonly RichNode[]) {}
}

/** What `rich` interpolates: untrusted text (a string), a number, or rich text. */
export type RichPart = string | number | RichText;

function nodesOf(part: RichPart): readonly RichNode[] {
  if (part instanceof RichText) return part.nodes;
  if (typeof part === 'number') return [{ k: 'ours', v: String(part) }];
  return [{ k: 'text', v: part }];
}

/** Our wording as a template; interpolated strings are untrusted text. */
export function rich(literals: TemplateStringsArray, ...parts: readonly RichPart[]): RichText {
  const nodes: RichNode[] = [];
  const lit = (s: string | undefined): void => {
    if (s) nodes.push({ k: 'ours', v: s });
  };
  lit(literals[0]);
  for (let i = 0; i < parts.length; i += 1) {
    nodes.push(...nodesOf(parts[i]!));
    lit(literals[i + 1]);
  }
  return new RichText(nodes);
}

/** Inline code of untrusted text. */
export const code = (text: string): RichText => new RichText([{ k: 'code', v: text }]);
/** A chat user, by id. */
export const mention = (user: string): RichText => new RichText([{ k: 'user', v: user }]);
/** A chat user group, by id. */
export const groupMention = (group: string): RichText => new RichText([{ k: 'group', v: group }]);
/** A coded refusal, as the person who was refused is told it. */
export const refusal = (err: OpsError): RichText => new RichText([{ k: 'refusal', v: err }]);

/** Parts joined by `separator` (shown as typed). */
export function joinRich(parts: readonly RichPart[], separator: string): RichText {
  const nodes: RichNode[] = [];
  parts.forEach((p, i) => {
    if (i > 0) nodes.push({ k: 'text', v: separator });
    nodes.push(...nodesOf(p));
  });
  return new RichText(nodes);
}

/** Rich text as plain words, for logs and job results (no presenter, no markup of holes). */
export function plainText(text: RichText): string {
  return text.nodes.map((n) => (n.k === 'code' ? `\`${n.v}\`` : n.k === 'refusal' ? n.v.message : n.v)).join('');
}
