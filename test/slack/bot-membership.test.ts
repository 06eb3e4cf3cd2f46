/**
 * Whether the bot can post where a slash command was typed (the ack's note): `conversations.info` read as
 * Slack answers it, cached per channel, never waiting past its bound; the note itself, escaped.
 */
import { describe, expect, it } from 'vitest';
import { BotMembershipCache, isDirectConversation, membershipOf, notMemberAckNote, planNeedsChannel, type ConversationInfo, type InfoCaller } from '../../src/slack/bot-membership.js';
import { errorAckText } from '../../src/slack/blocks/error-ack.js';
import { needsChannel } from '../../src/slack/listeners/commands.js';
import { waitFor } from '../support/poll.js';

describe('membershipOf: conversations.info as Slack answers it', () => {
  it('a channel the bot cannot see or is not in is not postable; its own DM and its channels are', () => {
    expect(membershipOf({ ok: false, error: 'channel_not_found' })).toBe('not_member');
    expect(membershipOf({ ok: true, channel: { is_member: false } })).toBe('not_member');
    expect(membershipOf({ ok: true, channel: { is_member: false, is_private: true }, response_metadata: { scopes: ['chat:write.public'] } })).toBe('not_member');
    expect(membershipOf({ ok: true, channel: { is_member: true } })).toBe('member');
    expect(membershipOf({ ok: true, channel: { is_im: true } })).toBe('member');
    expect(membershipOf({ ok: true, channel: { is_member: true, is_archived: true } })).toBe('not_member');
  });

  it('a public channel with chat:write.public is postable; an answer that says nothing is unknown (no note)', () => {
    expect(membershipOf({ ok: true, channel: { is_member: false }, response_metadata: { scopes: ['chat:write', 'chat:write.public'] } })).toBe('member');
    expect(membershipOf({ ok: false, error: 'missing_scope' })).toBe('unknown');
    expect(membershipOf({ ok: true })).toBe('unknown');
  });
});

describe('BotMembershipCache', () => {
  const client = (answer: () => Promise<ConversationInfo>): InfoCaller & { calls: number } => {
    const c = { calls: 0, apiCall: async (_m: string, _o?: Record<string, unknown>) => { c.calls += 1; return answer(); } };
    return c;
  };

  it('asks once per channel while the answer is fresh, again once it is not', async () => {
    let now = 0;
    const cache = new BotMembershipCache({ memberTtlMs: 1_000, notMemberTtlMs: 100, unknownTtlMs: 50, timeoutMs: 5_000, max: 10, now: () => now });
    const c = client(async () => ({ ok: false, error: 'channel_not_found' }));
    expect(await cache.check(c, 'G1')).toBe('not_member');
    expect(await cache.check(c, 'G1')).toBe('not_member');
    expect(c.calls).toBe(1);
    now = 101; // someone may have invited the bot meanwhile
    await cache.check(c, 'G1');
    expect(c.calls).toBe(2);
  });

  it('a Web API error (thrown, as @slack/web-api does) is read by its Slack error; a hung call answers unknown within the bound', async () => {
    const cache = new BotMembershipCache({ memberTtlMs: 1_000, notMemberTtlMs: 1_000, unknownTtlMs: 1_000, timeoutMs: 20, max: 10, now: () => 0 });
    const thrown = client(() => Promise.reject(Object.assign(new Error('An API error occurred: channel_not_found'), { data: { ok: false, error: 'channel_not_found' } })));
    expect(await cache.check(thrown, 'G2')).toBe('not_member');
    let release: (v: ConversationInfo) => void = () => undefined;
    const hung = client(() => new Promise<ConversationInfo>((resolve) => { release = resolve; }));
    expect(await cache.check(hung, 'C3')).toBe('unknown');
    // the late answer is still remembered for the next command
    release({ ok: true, channel: { is_member: false } });
    const late = await waitFor(async () => ((await cache.check(hung, 'C3')) === 'not_member' ? 'not_member' : undefined), { timeoutMs: 2_000, what: 'late answer cached' });
    expect(late).toBe('not_member');
    expect(hung.calls).toBe(1);
  });

  it('a burst of commands in one channel asks Slack once; a failing Web API is asked once per channel until "unknown" expires', async () => {
    let now = 0;
    const cache = new BotMembershipCache({ memberTtlMs: 1_000, notMemberTtlMs: 1_000, unknownTtlMs: 500, timeoutMs: 5_000, max: 10, now: () => now });
    let release: (v: ConversationInfo) => void = () => undefined;
    const slow = client(() => new Promise<ConversationInfo>((resolve) => { release = resolve; }));
    const burst = Array.from({ length: 20 }, () => cache.check(slow, 'C4'));
    release({ ok: true, channel: { is_member: true } });
    expect(new Set(await Promise.all(burst))).toEqual(new Set(['member']));
    expect(slow.calls).toBe(1);
    // Slack's API failing (an error Slack does not name): unknown, remembered for unknownTtlMs
    const failing = client(() => Promise.reject(new Error('connect ECONNREFUSED')));
    for (let i = 0; i < 10; i += 1) expect(await cache.check(failing, 'C5')).toBe('unknown');
    expect(failing.calls).toBe(1);
    now = 501;
    await cache.check(failing, 'C5');
    expect(failing.calls).toBe(2);
  });
});

describe('notMemberAckNote', () => {
  it('names the channel, says who will see the answer and how to invite the bot; a DM says it is not part of it', () => {
    expect(notMemberAckNote('C1', 'war-room')).toBe("🔒 I'm not in #war-room; I'll answer here where only you can see it — `/invite @autogen-ops` to share it.");
    expect(notMemberAckNote('G1', 'privategroup')).toContain("I'm not in this channel");
    expect(notMemberAckNote('C1', 'war-room', true)).toContain("I'll post the answer through this command");
    expect(notMemberAckNote('D1', 'directmessage')).toContain('I am not part of this conversation');
    // a name that is not a plain channel name is not echoed as markup
    expect(notMemberAckNote('C1', '<!channel>')).toContain("I'm not in this channel");
  });
});

describe('planNeedsChannel: a recovery plan is refused where it cannot be shared', () => {
  it('says why, names the channel and the alert channel, with the code', () => {
    const text = errorAckText(planNeedsChannel({ channel: 'G1', channelName: 'war-room', alertChannel: 'C0ALERTS' }));
    expect(text).toBe("⚠️ A recovery plan must be posted where its approvers can see it, and I cannot post here. I'm not in #war-room, so nothing was planned; the alert channel is <#C0ALERTS>.\n"
      + 'Invite me with `/invite @autogen-ops` and run the command again, or run it in a channel I am in (the alert channel). _(PLAN_NEEDS_CHANNEL)_');
  });

  it('a DM is no place for it; no alert channel configured (or typed in it): none named; odd names not echoed', () => {
    expect(planNeedsChannel({ channel: 'D1', channelName: 'directmessage' }).userMessage).toContain('This is a direct message, which its approvers cannot see, so nothing was planned.');
    expect(planNeedsChannel({ channel: 'G1', channelName: 'mpdm-a--b-1' }).userMessage).toContain('This is a direct message');
    expect(planNeedsChannel({ channel: 'C0ALERTS', channelName: 'alerts', alertChannel: 'C0ALERTS' }).userMessage).not.toContain('<#');
    expect(planNeedsChannel({ channel: 'G1', channelName: '<!channel>' }).userMessage).toContain("I'm not in this channel, so nothing was planned.");
  });

  it('a plan closed after Slack refused its post says which, that nothing runs, and what Slack said', () => {
    const err = planNeedsChannel({ channel: 'G1', alertChannel: 'C0ALERTS', closed: { planId: 'pl-abc', slackError: 'channel_not_found' } });
    expect(err.userMessage).toContain("I'm not in this channel, so plan `pl-abc` was closed and nothing will run (Slack said `channel_not_found`); the alert channel is <#C0ALERTS>.");
    expect(err.details).toMatchObject({ plan_id: 'pl-abc', slack_error: 'channel_not_found' });
  });

  it('only plan jobs need a channel; DMs are told apart by id and Slack\'s channel_name', () => {
    expect(needsChannel({ queue: 'respond', payload: { kind: 'plan', runtime: 'prod', channel: 'C1', source: 'slash' } })).toBe(true);
    expect(needsChannel({ queue: 'respond', payload: { runtime: 'prod', channel: 'C1', source: 'slash' } })).toBe(true);
    expect(needsChannel({ queue: 'respond', payload: { kind: 'audit', user: 'U1', channel: 'C1', requested_at: '2026-01-01T00:00:00.000Z' } })).toBe(false);
    expect(needsChannel({ queue: 'diagnose', payload: { agent: 'ChatAgent', runtime: 'prod', channel: 'C1', source: 'slash', requested_at: '2026-01-01T00:00:00.000Z' } })).toBe(false);
    expect(isDirectConversation('D1', undefined)).toBe(true);
    expect(isDirectConversation('G1', 'mpdm-a--b-1')).toBe(true);
    expect(isDirectConversation('G1', 'privategroup')).toBe(false);
    expect(isDirectConversation('C1', 'war-room')).toBe(false);
  });
});
