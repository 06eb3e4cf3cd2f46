/**
 * Untrusted alert text (labels, annotations, titles) made safe for Slack.
 *
 * Alert text passes through Alertmanager unchanged: `<!channel>`, `@here`, `<https://evil|click>`,
 * markdown, HTML, 10 KB of Chinese, emoji. Two renderings:
 *
 * - `plainSafe` for `plain_text` objects (where incident blocks put every untrusted value): Slack parses
 *   no markdown, links or mentions there; we still break the characters that start a mention or a
 *   control sequence (`<`, `@`) with an invisible WORD JOINER, drop control and bidi-override characters
 *   (which can disguise text), and shorten on grapheme boundaries.
 * - `mrkdwnSafe` for the rare mrkdwn place (the notification `text` fallback): Slack's own escaping
 *   (`&`, `<`, `>` → entities, so no `<!channel>`, `<@U…>` or `<url|label>` can form), `@` broken as
 *   above, shortened before escaping so an entity is never cut in half.
 *
 * Both keep the result well-formed UTF-16 (valid UTF-8 on the wire).
 */
import { shorten, toWellFormed } from '../../text/shorten.js';

/** U+2060 WORD JOINER: invisible, not whitespace, breaks `@here` and `<!channel>` tokens. */
export const JOINER = '\u2060';

/** C0/C1 controls except tab and newline, and the bidi embedding/override/isolate characters. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_CHARS = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;

function clean(text: string): string {
  return toWellFormed(text).replace(UNSAFE_CHARS, '').replace(/\r\n?/g, '\n');
}

function breakMentions(text: string): string {
  return text.replace(/@/g, `@${JOINER}`).replace(/</g, `<${JOINER}`).replace(/!(?=(channel|here|everyone|subteam|date)\b)/gi, `!${JOINER}`);
}

/** Untrusted text for a `plain_text` object, at most `maxUnits` UTF-16 code units. */
export function plainSafe(text: string, maxUnits: number): string {
  // Joiners add length, so shorten after inserting them; a cut right after '@' leaves '@…', which is inert.
  return shorten(breakMentions(clean(text)), maxUnits);
}

/** Untrusted text on one line (newlines and runs of spaces become one space), for headers and fields. */
export function plainSafeLine(text: string, maxUnits: number): string {
  return plainSafe(clean(text).replace(/\s+/g, ' ').trim(), maxUnits);
}

/** Untrusted text for mrkdwn (e.g. the notification fallback), at most `maxUnits` before escaping grows it. */
export function mrkdwnSafe(text: string, maxUnits: number): string {
  const short = shorten(clean(text).replace(/\s+/g, ' ').trim(), maxUnits);
  return short
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@/g, `@${JOINER}`)
    .replace(/!(?=(channel|here|everyone)\b)/gi, `!${JOINER}`);
}
