/**
 * Untrusted alert text (labels, annotations, titles) made safe for Slack.
 *
 * Alert text passes through Alertmanager unchanged: `<!channel>`, `@here`, `<https://evil|click>`,
 * markdown, HTML, 10 KB of Chinese, emoji. Two renderings:
 *
 * - `plainSafe` for `plain_text` objects (where incident blocks put every untrusted value): Slack parses
 *   no markdown, links or mentions there; we still break the characters that start a mention or a
 *   control sequence (`<`, `@`) with an invisible WORD JOINER, drop the invisible and bidi control
 *   characters (`visibleText`, which can disguise text), and shorten on grapheme boundaries.
 * - `mrkdwnSafe` for the rare mrkdwn place (the notification `text` fallback): one line, shortened, then
 *   the one escaper (`escapeText` in `mrkdwn.ts`), so an entity is never cut in half.
 *
 * Both keep the result well-formed UTF-16 (valid UTF-8 on the wire).
 */
import { shorten } from '../../text/shorten.js';
import { escapeText, JOINER, visibleText, type Mrkdwn } from './mrkdwn.js';

export { JOINER };

function breakMentions(text: string): string {
  return text.replace(/@/g, `@${JOINER}`).replace(/</g, `<${JOINER}`).replace(/!(?=(channel|here|everyone|subteam|date)\b)/gi, `!${JOINER}`);
}

/** Untrusted text for a `plain_text` object, at most `maxUnits` UTF-16 code units. */
export function plainSafe(text: string, maxUnits: number): string {
  // Joiners add length, so shorten after inserting them; a cut right after '@' leaves '@…', which is inert.
  return shorten(breakMentions(visibleText(text)), maxUnits);
}

/** Untrusted text on one line (newlines and runs of spaces become one space), for headers and fields. */
export function plainSafeLine(text: string, maxUnits: number): string {
  return plainSafe(visibleText(text).replace(/\s+/g, ' ').trim(), maxUnits);
}

/** Untrusted text on one line for mrkdwn (e.g. the notification fallback): shortened to `maxUnits`, then escaped by the one escaper. */
export function mrkdwnSafe(text: string, maxUnits: number): Mrkdwn {
  return escapeText(shorten(visibleText(text).replace(/\s+/g, ' ').trim(), maxUnits));
}
