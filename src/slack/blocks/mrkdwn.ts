/**
 * Slack mrkdwn, kept ours. Text that came from outside (agent names, exception messages, alert labels,
 * bridge answers, what a user typed) must not ping a channel (`<!channel>`), mention someone (`<@U…>`),
 * inject a disguised link (`<https://evil|click>`) or hide what it says (bidi overrides, zero-width
 * characters).
 *
 * `Mrkdwn` is a branded string: only this module makes one — by escaping (`escapeText`, `code`,
 * `codeBlock`) or from our own literal markup (`md` template tag, `mention`, `slackDate`, `link`). Every
 * surface that posts, edits or shows an error (Block Kit mrkdwn objects, the notification `text`, the
 * outbox, error details, slash-command acks) takes `Mrkdwn`, so a raw string reaching Slack as markup is a
 * type error. `md` interpolates only `Mrkdwn` and numbers: a raw string must pass `escapeText` first.
 */
import { SLACK_GROUP_ID_RE, SLACK_USER_ID_RE } from '../../identifiers.js';
import { ELLIPSIS, shorten, toWellFormed } from '../../text/shorten.js';

declare const MRKDWN: unique symbol;

/** Text safe to send as Slack mrkdwn: escaped untrusted text and our own markup. Made only in this module. */
export type Mrkdwn = string & { readonly [MRKDWN]: true };

/** The one place a string becomes `Mrkdwn` without escaping: our own literals and joins of `Mrkdwn`. */
const ours = (text: string): Mrkdwn => text as Mrkdwn;

/** U+2060 WORD JOINER: invisible, not whitespace; breaks `@here` so no client or `link_names` turns it into a ping. */
export const JOINER = '\u2060';

/**
 * Characters that change how text looks without being seen: C0/C1 controls (tab and newline kept), the
 * Arabic letter mark, the bidi marks, embeddings, overrides and isolates (U+200E/F, U+202A–E, U+2066–9:
 * `\u202Etxt.exe` shows as `exe.txt`), and the zero-width characters that carry no meaning in text (ZWSP
 * U+200B, word joiner and invisible operators U+2060–4, BOM U+FEFF, Mongolian vowel separator U+180E).
 * They are removed, not shown: what a reader then sees is the text's logical order, character by character.
 * ZWJ and ZWNJ (U+200D, U+200C) stay: emoji sequences and Persian or Indic words need them, and they can
 * form no markup.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u061C\u180E\u200B\u200E\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g;

/** Untrusted text with well-formed UTF-16, CRLF as LF, and no invisible or bidi control characters. */
export function visibleText(text: string): string {
  return toWellFormed(text).replace(/\r\n?/g, '\n').replace(INVISIBLE, '');
}

/**
 * The one escaper. Removes invisible characters (`visibleText`), escapes `&`, `<` and `>` as Slack
 * requires — so no `<!channel>`, `<@U…>`, `<#C…>` or `<url|label>` can form and an input `&lt;` stays the
 * four characters it was — and breaks `@here` / `@channel` / `@everyone` with a word joiner. Text that is
 * already `Mrkdwn` is a type error: escaped twice, `<` would show as `&amp;lt;`.
 */
export function escapeText<T extends string>(text: T & (T extends Mrkdwn ? never : unknown)): Mrkdwn {
  return ours(visibleText(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@(?=(?:channel|here|everyone)\b)/gi, `@${JOINER}`));
}

/** What `md` interpolates: escaped text, our markup, numbers. A raw string is a type error. */
export type MrkdwnPart = Mrkdwn | number;

/**
 * Our own markup as a template: the literal parts are ours (written in this repository), every
 * interpolation must already be `Mrkdwn` (or a number). `md\`*Runtime* ${code(name)}\``.
 */
export function md(literals: TemplateStringsArray, ...parts: readonly MrkdwnPart[]): Mrkdwn {
  let out = literals[0] ?? '';
  for (let i = 0; i < parts.length; i += 1) out += String(parts[i]) + (literals[i + 1] ?? '');
  return ours(out);
}

/** `Mrkdwn` parts joined by `separator` (our literal, escaped to be sure). */
export function joinMd(parts: readonly Mrkdwn[], separator: string): Mrkdwn {
  return ours(parts.join(escapeText(separator)));
}

/** Inline code: escaped, backticks replaced so the span cannot be closed early. */
export function code(text: string): Mrkdwn {
  return ours(`\`${escapeText(text).replace(/`/g, "'")}\``);
}

/** A code block: escaped, triple backticks defused. */
export function codeBlock(text: string): Mrkdwn {
  return ours(`\`\`\`${escapeText(text).replace(/```/g, "'''")}\`\`\``);
}

/** A user mention for a Slack user id; anything else is shown as escaped text (never a ping). */
export function mention(user: string): Mrkdwn {
  return SLACK_USER_ID_RE.test(user) ? ours(`<@${user}>`) : escapeText(user);
}

/** A user-group mention for a Slack user-group id; anything else is shown as escaped text. */
export function groupMention(group: string): Mrkdwn {
  return SLACK_GROUP_ID_RE.test(group) ? ours(`<!subteam^${group}>`) : escapeText(group);
}

/** A channel link for a public or private channel id (`C…`, `G…`); anything else is shown as escaped text. */
export function channelMention(channel: string): Mrkdwn {
  return /^[CG][A-Z0-9]{2,40}$/.test(channel) ? ours(`<#${channel}>`) : escapeText(channel);
}

/** Slack's localized date of `epochS` (whole seconds) with `format` tokens; `fallback` is escaped. */
export function slackDate(epochS: number, format: '{date_short_pretty} {time}' | '{date_short_pretty} {time_secs}', fallback: string): Mrkdwn {
  return ours(`<!date^${Math.floor(epochS)}^${format}|${escapeText(fallback).replace(/\|/g, '/')}>`);
}

/** A link to an http(s) URL of ours with an escaped label; anything else is shown as the escaped label. */
export function link(url: string, label: string): Mrkdwn {
  const safeLabel = escapeText(label).replace(/\|/g, '/');
  return /^https?:\/\/[^\s<>|]+$/.test(url) ? ours(`<${url}|${safeLabel}>`) : ours(safeLabel);
}

/**
 * Cuts mrkdwn to at most `max` UTF-16 units on grapheme boundaries, ending with "…" when cut, and never
 * inside an entity (`&am…`) or one of our control sequences (`<@U12…`): a partial one is dropped whole.
 */
export function truncateMd(text: Mrkdwn, max: number): Mrkdwn {
  const cut = shorten(text, max);
  if (cut === text || !cut.endsWith(ELLIPSIS)) return ours(cut);
  const body = cut.slice(0, -ELLIPSIS.length).replace(/&[a-z#0-9]{0,6}$/i, '').replace(/<[^<>]*$/, '');
  return ours(body + ELLIPSIS);
}

/**
 * Mrkdwn without bold markers (`*`) — and with `code`, without backticks — e.g. for a notification
 * fallback; removing them cannot form markup (escaped text holds no `<`).
 */
export function withoutBold(text: Mrkdwn, opts: { code?: boolean } = {}): Mrkdwn {
  return ours(text.replace(opts.code ? /[*`]/g : /\*/g, ''));
}

/** Untrusted text escaped and cut to `max` units of the escaped result. */
export function escapeShort(text: string, max: number): Mrkdwn {
  return truncateMd(escapeText(text), max);
}
