import { shorten } from '../../text/shorten.js';

/** Slack's Block Kit limits (https://api.slack.com/reference/block-kit). Builders never exceed them. */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3_000,
  sectionFields: 10,
  fieldText: 2_000,
  headerText: 150,
  contextElements: 10,
  buttonText: 75,
  buttonValue: 2_000,
  actionId: 255,
  actionsElements: 25,
  messageText: 40_000,
  confirmTitle: 100,
  confirmText: 300,
} as const;

/**
 * Cuts `text` to at most `max` UTF-16 units, ending with "…" when cut, on grapheme boundaries (never
 * splitting a surrogate pair or an emoji sequence).
 */
export function truncate(text: string, max: number): string {
  return shorten(text, max);
}
