/**
 * Members of the Slack user groups that runbooks name as approvers (`approval.groups: [S…]`): the members
 * configured in `APPROVAL_GROUPS` plus, when `APPROVAL_GROUPS_FROM_SLACK` is on, the group's members as
 * Slack lists them (`usergroups.users.list`, scope `usergroups:read`).
 *
 * Slack's answer is cached per group for `APPROVAL_GROUPS_TTL_S` and refreshed on the first use after
 * that; concurrent look-ups of one group share one call. When a refresh fails (rate limit, network,
 * missing scope), the last answer is still used up to one more TTL, then only the configured members
 * count (fail closed). A group Slack does not know (`no_such_subteam`) has no Slack members. The cache
 * keeps at most `MAX_CACHED_GROUPS` groups (least recently used evicted first).
 */
import type { Logger } from '../log.js';
import type { GroupMembers } from './rules.js';

/** Most groups whose Slack membership is cached (runbooks name at most 20 groups each). */
export const MAX_CACHED_GROUPS = 256;
/** Most members kept per group (a bigger group is cut: approvers are people, not the whole company). */
export const MAX_MEMBERS_PER_GROUP = 5_000;

/** Asks Slack for the members of one user group. Throws on any failure; `null` for a group Slack does not know. */
export type UserGroupLookup = (groupId: string) => Promise<readonly string[] | null>;

/** The subset of `@slack/web-api`'s WebClient used here (`apiCall` keeps the method honest and mockable). */
export interface WebApiCaller {
  apiCall(method: string, options?: Record<string, unknown>): Promise<{ ok?: boolean; error?: string; users?: unknown }>;
}

/** `usergroups.users.list` through the bot's Web API client; `no_such_subteam` → null, other errors throw. */
export function slackUserGroupLookup(client: WebApiCaller): UserGroupLookup {
  return async (groupId) => {
    let res: { ok?: boolean; error?: string; users?: unknown };
    try {
      res = await client.apiCall('usergroups.users.list', { usergroup: groupId });
    } catch (err) {
      // the Web API client throws on ok:false; its `data` is Slack's answer
      const data = (err as { data?: { error?: string } }).data;
      if (data?.error === 'no_such_subteam') return null;
      throw err;
    }
    if (res.ok === false) {
      if (res.error === 'no_such_subteam') return null;
      throw new Error(`usergroups.users.list: ${res.error ?? 'not ok'}`);
    }
    const users = Array.isArray(res.users) ? res.users.filter((u): u is string => typeof u === 'string') : [];
    return users;
  };
}

export interface GroupDirectoryOptions {
  /** Members from config (`APPROVAL_GROUPS`); they always count. */
  readonly configured: GroupMembers;
  /** Slack's answer, or undefined when look-ups are off (`APPROVAL_GROUPS_FROM_SLACK=false`). */
  readonly lookup: UserGroupLookup | undefined;
  /** How long Slack's answer for a group is used before it is asked again, ms. */
  readonly ttlMs: number;
  readonly maxGroups?: number;
  readonly logger: Logger;
  now(): number;
}

interface Entry {
  readonly members: ReadonlySet<string>;
  readonly fetchedAt: number;
}

export class GroupDirectory {
  private readonly cache = new Map<string, Entry>();
  private readonly inflight = new Map<string, Promise<ReadonlySet<string> | undefined>>();
  private readonly maxGroups: number;

  constructor(private readonly opts: GroupDirectoryOptions) {
    this.maxGroups = Math.max(1, opts.maxGroups ?? MAX_CACHED_GROUPS);
  }

  /** How many groups' Slack membership is cached now (for tests and metrics). */
  get size(): number {
    return this.cache.size;
  }

  /** Members of each of `groupIds`: configured ∪ Slack's (as cached). Never throws. */
  async membersOf(groupIds: readonly string[]): Promise<GroupMembers> {
    const unique = [...new Set(groupIds)];
    const out = new Map<string, ReadonlySet<string>>();
    await Promise.all(unique.map(async (g) => {
      const fromSlack = await this.slackMembers(g);
      const configured = this.opts.configured.get(g);
      if (!fromSlack) out.set(g, configured ?? new Set());
      else if (!configured) out.set(g, fromSlack);
      else out.set(g, new Set([...configured, ...fromSlack]));
    }));
    return out;
  }

  /** Whether `userId` is a member of any of `groupIds`. */
  async isMember(groupIds: readonly string[], userId: string): Promise<boolean> {
    const members = await this.membersOf(groupIds);
    return [...members.values()].some((s) => s.has(userId));
  }

  private async slackMembers(groupId: string): Promise<ReadonlySet<string> | undefined> {
    if (!this.opts.lookup) return undefined;
    const now = this.opts.now();
    const entry = this.cache.get(groupId);
    if (entry && now - entry.fetchedAt < this.opts.ttlMs) {
      this.touch(groupId, entry);
      return entry.members;
    }
    let pending = this.inflight.get(groupId);
    if (!pending) {
      pending = this.refresh(groupId, entry).finally(() => this.inflight.delete(groupId));
      this.inflight.set(groupId, pending);
    }
    return pending;
  }

  private async refresh(groupId: string, previous: Entry | undefined): Promise<ReadonlySet<string> | undefined> {
    const lookup = this.opts.lookup;
    if (!lookup) return undefined;
    try {
      const users = await lookup(groupId);
      const members = new Set((users ?? []).slice(0, MAX_MEMBERS_PER_GROUP));
      if (users === null) this.opts.logger.warn({ group: groupId }, 'Slack does not know this user group; only its configured members (APPROVAL_GROUPS) count');
      this.touch(groupId, { members, fetchedAt: this.opts.now() });
      return members;
    } catch (err) {
      const age = previous ? this.opts.now() - previous.fetchedAt : Infinity;
      const usable = previous !== undefined && age < 2 * this.opts.ttlMs;
      this.opts.logger.warn({ err, group: groupId, using: usable ? 'last answer' : 'configured members only' }, 'could not list the members of a Slack user group');
      return usable ? previous.members : undefined;
    }
  }

  /** (Re)inserts as the most recently used entry; evicts the least recently used beyond the bound. */
  private touch(groupId: string, entry: Entry): void {
    this.cache.delete(groupId);
    this.cache.set(groupId, entry);
    while (this.cache.size > this.maxGroups) {
      const oldest = this.cache.keys().next().value;
      if (oldest === undefined) break;
      this.cache.delete(oldest);
    }
  }
}
