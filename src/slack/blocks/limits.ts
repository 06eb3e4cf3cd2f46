/** Slack's Block Kit limits (https://api.slack.com/reference/block-kit). Builders never exceed them. */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  sectionText: 3_000,
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

/** Cuts `text` to at most `max` characters, ending with "…" when cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1))}…`;
}
