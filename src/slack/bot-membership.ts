/**
 * Whether the bot can post in the channel a slash command was typed in, known at ack time: a cached answer
 * of `conversations.info` (scopes `channels:read`, `groups:read`, `im:read`), asked once per channel and
 * bounded in time so the ack stays within Slack's 3 s. It changes what the ack says ("I'm not in #x;
 * I'll answer here only you can see"); where the answer goes is decided when it is sent (the outbox falls
 * back to the command's response_url when Slack refuses the channel, `src/outbox/deliver.ts`). A recovery
 * plan is the exception: it is refused at ack where the bot cannot post (`planNeedsChannel`).
 */
import { LruMap } from '../lru.js';
import { OpsError } from '../errors.js';
import { channelMention, code, escapeText, md, type Mrkdwn } from './blocks/mrkdwn.js';

/** `unknown`: not asked, timed out, or an answer that says nothing (missing scope, rate limit): no note. */
export type BotMembership = 'member' | 'not_member' | 'unknown';

/** The part of `conversations.info`'s answer read here. */
export interface ConversationInfo {
  ok?: boolean;
  error?: string;
  channel?: { is_member?: boolean; is_im?: boolean; is_private?: boolean; is_archived?: boolean };
  /** The token's scopes (Slack's `x-oauth-scopes` header, as @slack/web-api reports it). */
  response_metadata?: { scopes?: string[] };
}

/**
 * Pure: whether `conversations.info` says the bot can post there. A channel it cannot see
 * (`channel_not_found`: a private channel or a DM between others) → not a member; a public one it is not
 * in (`is_member: false`) → not a member unless the token has `chat:write.public` (Slack then accepts the
 * post); a DM it can see is its own (it can post there).
 */
export function membershipOf(res: ConversationInfo): BotMembership {
  if (res.ok === false) return res.error === 'channel_not_found' ? 'not_member' : 'unknown';
  const ch = res.channel;
  if (!ch) return 'unknown';
  if (ch.is_im) return 'member';
  if (ch.is_archived) return 'not_member';
  if (ch.is_member === true) return 'member';
  if (ch.is_member !== false) return 'unknown';
  return !ch.is_private && (res.response_metadata?.scopes ?? []).includes('chat:write.public') ? 'member' : 'not_member';
}

/** The Web API call used (Bolt's `client` in a listener). */
export interface InfoCaller {
  apiCall(method: string, options?: Record<string, unknown>): Promise<ConversationInfo>;
}

export interface BotMembershipOptions {
  /** How long an answer is kept, ms (a "not a member" shorter: someone may `/invite` the bot). */
  readonly memberTtlMs: number;
  readonly notMemberTtlMs: number;
  /** How long "no answer" (Slack erred or was slow) is kept, ms: a slow or failing Web API costs one wait per channel per this, not one per command. */
  readonly unknownTtlMs: number;
  /** How long the ack waits for `conversations.info` at most, ms. */
  readonly timeoutMs: number;
  /** Channels remembered at most. */
  readonly max: number;
  readonly now: () => number;
}

export const DEFAULT_BOT_MEMBERSHIP: Omit<BotMembershipOptions, 'now'> = { memberTtlMs: 10 * 60_000, notMemberTtlMs: 60_000, unknownTtlMs: 30_000, timeoutMs: 800, max: 5_000 };

/** The cache of the bot's membership per channel; `check` never throws and never waits past `timeoutMs`. */
export class BotMembershipCache {
  private readonly known: LruMap<string, { membership: BotMembership; until: number }>;
  /** One `conversations.info` in flight per channel: a burst of commands in one channel asks Slack once. */
  private readonly asking = new Map<string, Promise<BotMembership>>();

  constructor(private readonly opts: BotMembershipOptions) {
    this.known = new LruMap(opts.max);
  }

  /**
   * The cached answer, else `conversations.info` (bounded by `timeoutMs`, shared by concurrent callers);
   * `unknown` on error or timeout, itself kept for `unknownTtlMs` so a failing Web API is not asked per command.
   */
  async check(client: InfoCaller, channel: string): Promise<BotMembership> {
    const hit = this.known.get(channel);
    if (hit && hit.until > this.opts.now()) return hit.membership;
    let asked = this.asking.get(channel);
    if (asked === undefined) {
      asked = client.apiCall('conversations.info', { channel })
        .then((res) => membershipOf(res))
        .catch((err: unknown) => membershipOf({ ok: false, error: (err as { data?: { error?: string } } | undefined)?.data?.error ?? 'unknown' }))
        .then((m) => { this.remember(channel, m); return m; })
        .finally(() => this.asking.delete(channel));
      this.asking.set(channel, asked);
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'unknown'>((resolve) => { timer = setTimeout(() => resolve('unknown'), this.opts.timeoutMs); });
    try {
      const membership = await Promise.race([asked, timeout]);
      // too slow: "unknown" for a while (the answer, when it comes, replaces it)
      if (membership === 'unknown' && !this.known.get(channel)) this.remember(channel, 'unknown');
      return membership;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Records what was learnt (an answer, or another way: Slack refused a post — not a member). */
  remember(channel: string, membership: BotMembership): void {
    const ttl = membership === 'member' ? this.opts.memberTtlMs : membership === 'not_member' ? this.opts.notMemberTtlMs : this.opts.unknownTtlMs;
    this.known.set(channel, { membership, until: this.opts.now() + ttl });
  }
}

/** A 1:1 or group DM: no place for a plan other people approve, whoever can post there. */
export function isDirectConversation(channel: string, channelName: string | undefined): boolean {
  return channel.startsWith('D') || channelName === 'directmessage' || (channelName ?? '').startsWith('mpdm-');
}

/**
 * Pure: the refusal of a recovery plan where it cannot be shared (`PLAN_NEEDS_CHANNEL`). A plan is approved
 * by other people, and its edits and outcome thread need a message in the channel: it is never made
 * privately. Says where to run it instead — here after `/invite`, or the alert channel when configured.
 * `closed`: the plan was made (membership unknown at ack), Slack refused its post, and it was closed.
 */
export function planNeedsChannel(where: {
  readonly channel: string;
  readonly channelName?: string | undefined;
  readonly alertChannel?: string | undefined;
  readonly closed?: { readonly planId: string; readonly slackError: string } | undefined;
}): OpsError {
  const { channel, channelName, alertChannel, closed } = where;
  const dm = isDirectConversation(channel, channelName);
  const here = dm
    ? md`This is a direct message, which its approvers cannot see`
    : channelName && channelName !== 'privategroup' && /^[\w.-]{1,80}$/.test(channelName) ? md`I'm not in #${escapeText(channelName)}` : md`I'm not in this channel`;
  const outcome = closed ? md`so plan ${code(closed.planId)} was closed and nothing will run (Slack said ${code(closed.slackError)})` : md`so nothing was planned`;
  const instead = alertChannel && alertChannel !== channel ? md`; the alert channel is ${channelMention(alertChannel)}` : md``;
  return new OpsError('PLAN_NEEDS_CHANNEL', { channel, direct: dm, ...(closed ? { plan_id: closed.planId, slack_error: closed.slackError } : {}) }, {
    detail: md`${here}, ${outcome}${instead}.`,
  });
}

/**
 * Pure: the line added to a slash command's ack when the bot cannot post where it was typed. `channelName`
 * is Slack's `channel_name` (`directmessage` for a DM, `privategroup` for some private conversations).
 * `inChannel`: the command's answer is an announcement (it goes through the command, visible to the channel).
 */
export function notMemberAckNote(channel: string, channelName: string | undefined, inChannel = false): Mrkdwn {
  const invite = code('/invite @autogen-ops');
  if (channel.startsWith('D') || channelName === 'directmessage') {
    return inChannel
      ? md`🔒 I am not part of this conversation; I'll post the answer here through this command.`
      : md`🔒 I am not part of this conversation; I'll answer here where only you can see it. Run the command in a channel I am in to share it.`;
  }
  const name = channelName && channelName !== 'privategroup' && /^[\w.-]{1,80}$/.test(channelName) ? md`#${escapeText(channelName)}` : md`this channel`;
  return inChannel
    ? md`🔒 I'm not in ${name}; I'll post the answer through this command — ${invite} so I can post here myself.`
    : md`🔒 I'm not in ${name}; I'll answer here where only you can see it — ${invite} to share it.`;
}
