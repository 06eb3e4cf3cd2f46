/**
 * Trimming without a regex: `/x+$/`-style patterns are quadratic in V8 on a long run of `x` that is not at
 * the end (every start position is tried), so text from outside is trimmed by this loop instead.
 */

/** `text` without the trailing characters for which `drop` is true. Linear. */
export function trimTrailing(text: string, drop: (ch: string) => boolean): string {
  let end = text.length;
  while (end > 0 && drop(text[end - 1]!)) end -= 1;
  return end === text.length ? text : text.slice(0, end);
}

const WHITESPACE = /\s/;

/** Trailing dots and whitespace (a sentence's end), e.g. before appending our own punctuation. */
export const isDotOrSpace = (ch: string): boolean => ch === '.' || WHITESPACE.test(ch);

/** Trailing slashes of a base URL. */
export const withoutTrailingSlashes = (url: string): string => trimTrailing(url, (ch) => ch === '/');
