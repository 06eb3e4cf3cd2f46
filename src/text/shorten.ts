/**
 * Shortening untrusted text without breaking characters.
 *
 * Alert labels and annotations can be 10 KB of Chinese text, emoji with skin tones or ZWJ families.
 * Cutting by UTF-16 index can split a surrogate pair (invalid UTF-8 once sent) or a grapheme cluster
 * (a family emoji turning into three people). We cut on grapheme boundaries (`Intl.Segmenter`) and
 * measure in UTF-16 code units, which is the stricter of the counts Slack's limits may be using.
 */

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The marker appended to a shortened value. */
export const ELLIPSIS = '…';

/**
 * Returns `text` unchanged when it fits in `maxUnits` UTF-16 code units, otherwise the longest prefix of
 * whole grapheme clusters that, followed by `ELLIPSIS`, fits. `maxUnits` below the ellipsis length gives ''.
 */
export function shorten(text: string, maxUnits: number): string {
  if (text.length <= maxUnits) return text;
  const budget = maxUnits - ELLIPSIS.length;
  if (budget < 0) return '';
  // Segmented in windows of the prefix that can fit: Intl.Segmenter slows down on long strings (40 kB took
  // seconds). A window's last cluster may be cut by the window, so it starts the next window instead.
  const limit = Math.min(text.length, budget + 1);
  let used = 0;
  let out = '';
  while (used < limit) {
    const window = text.slice(used, Math.min(limit, used + 1024));
    const segments = [...segmenter.segment(window)].map((s) => s.segment);
    const whole = used + window.length >= limit || segments.length === 1 ? segments : segments.slice(0, -1);
    for (const segment of whole) {
      if (used + segment.length > budget) return out + ELLIPSIS;
      out += segment;
      used += segment.length;
    }
  }
  return out + ELLIPSIS;
}

/** True when `text` has no lone surrogate (i.e. encodes to valid UTF-8). */
export function isWellFormed(text: string): boolean {
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
      i += 1;
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      return false;
    }
  }
  return true;
}

/** Replaces lone surrogates with U+FFFD so that the text can be encoded as UTF-8. */
export function toWellFormed(text: string): string {
  if (isWellFormed(text)) return text;
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += text[i]! + text[i + 1]!;
        i += 1;
      } else {
        out += '\ufffd';
      }
    } else if (c >= 0xdc00 && c <= 0xdfff) {
      out += '\ufffd';
    } else {
      out += text[i]!;
    }
  }
  return out;
}
