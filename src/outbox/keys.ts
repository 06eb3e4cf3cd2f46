/** Redis keys of the outbox, all under the queue prefix (hash-tagged). */
export const outboxKeys = (prefix: string) => ({
  /** ts of a message posted with `ts_key` (the caller's key). */
  ts: (tsKey: string) => `${prefix}outbox:ts:${tsKey}`,
  /** ts of a delivered post job, so a retried job does not post twice. */
  sent: (jobId: string) => `${prefix}outbox:sent:${jobId}`,
  /** a post job's runs: when one last claimed it, when one last sent it without recording the answer (deliver.ts, "Posting once"). */
  attempt: (jobId: string) => `${prefix}outbox:attempt:${jobId}`,
  /** latest sequence number of a coalescing key. */
  coalesce: (key: string) => `${prefix}outbox:coalesce:${key}`,
  /** the newest content (text, blocks) of a coalescing key, written with its sequence number. */
  latest: (key: string) => `${prefix}outbox:latest:${key}`,
  /** sequence number of a coalescing key's content last sent to Slack. */
  edited: (key: string) => `${prefix}outbox:edited:${key}`,
  /**
   * Slack's refusal, set when a post with `ts_key` was refused for good (the bot cannot post in its channel):
   * its replies and edits then fail at once (or answer through their own response_url) instead of waiting.
   */
  unposted: (tsKey: string) => `${prefix}outbox:unposted:${tsKey}`,
  /** set when Slack refused a direct message (a DM between others: the bot can never join it). */
  closedDm: (channel: string) => `${prefix}outbox:closed-dm:${channel}`,
});

/** How long a DM Slack refused is remembered, seconds (no one can invite the bot into another's DM). */
export const CLOSED_DM_TTL_S = 30 * 86_400;

/** How long a coalescing key's sequence, newest content and sent mark are kept, seconds. */
export const COALESCE_TTL_S = 86_400;

/** How long posted ts values and sent markers are kept, seconds. */
export const TS_TTL_S = 7 * 86_400;
