/**
 * Who may see which incident in `/autogen incidents`: an incident is listed to a person only when its
 * thread is in the channel the command was typed in, or in a channel that person is a member of
 * (`conversations.members`, scopes `channels:read` + `groups:read`). Titles of incidents routed to a
 * private channel therefore never reach someone outside it. Membership that cannot be read (Slack error,
 * missing scope, rate limit) counts as "not a member": fail closed, logged.
 */
import type { Logger } from '../log.js';

/** Whether `user` is a member of `channel`. Never throws. */
export type MembershipCheck = (channel: string, user: string) => Promise<boolean>;

/** The subset of `@slack/web-api`'s WebClient used here. */
export interface MembersCaller {
  apiCall(method: string, options?: Record<string, unknown>): Promise<{ ok?: boolean; error?: string; members?: unknown; response_metadata?: { next_cursor?: string } }>;
}

/** Pages of `conversations.members` read per channel at most (1,000 members a page). */
export const MAX_MEMBER_PAGES = 20;

/** Membership through `conversations.members`, paged until the user is found (at most `MAX_MEMBER_PAGES`). */
export function slackMembership(client: MembersCaller, logger: Logger, maxPages = MAX_MEMBER_PAGES): MembershipCheck {
  return async (channel, user) => {
    let cursor: string | undefined;
    try {
      for (let page = 0; page < maxPages; page += 1) {
        const res = await client.apiCall('conversations.members', { channel, limit: 1000, ...(cursor ? { cursor } : {}) });
        if (res.ok === false) throw new Error(`conversations.members: ${res.error ?? 'not ok'}`);
        const members = Array.isArray(res.members) ? res.members : [];
        if (members.includes(user)) return true;
        cursor = res.response_metadata?.next_cursor || undefined;
        if (cursor === undefined) return false;
      }
      logger.warn({ channel, pages: maxPages }, 'channel membership: member list longer than read; counted as not a member');
      return false;
    } catch (err) {
      logger.warn({ err, channel }, 'channel membership could not be read; the channel\'s incidents are not listed');
      return false;
    }
  };
}

/** The incidents `user` may see when asking from `askedFrom`; each channel's membership is read once. */
export async function visibleTo<T extends { readonly channel: string }>(
  incidents: readonly T[], askedFrom: string, user: string, isMember: MembershipCheck,
): Promise<T[]> {
  const verdicts = new Map<string, Promise<boolean>>();
  const allowed = (channel: string): Promise<boolean> => {
    if (channel === askedFrom) return Promise.resolve(true);
    if (channel === '') return Promise.resolve(false);
    let v = verdicts.get(channel);
    if (v === undefined) {
      v = isMember(channel, user);
      verdicts.set(channel, v);
    }
    return v;
  };
  const flags = await Promise.all(incidents.map((inc) => allowed(inc.channel)));
  return incidents.filter((_, i) => flags[i]);
}
