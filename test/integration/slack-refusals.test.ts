/**
 * Slack as it really refuses, and how the bot reacts — nothing lost, a clear log line. The sandbox answers
 * as Slack does (membership, Block Kit limits, text length, a per-channel rate with Retry-After); the bot is
 * the real bot + worker on real Redis, commands are signed requests, diagnoses read the real demo fleet.
 *
 * - `ratelimited` (429, Retry-After): the outbox waits it out and delivers every message once;
 * - `invalid_blocks`: posted again with the blocks cut to Slack's limits, or as text alone;
 * - `msg_too_long`: posted again with the text cut;
 * - `channel_not_found` / `not_in_channel` for a slash command from a private channel or DM the bot is not
 *   in: the answer reaches the person through the command's response_url, with how to invite the bot;
 *   without a response_url: a warning saying so;
 * - `/autogen automation`, `audit` and `incidents` typed where the bot is not: the ack says so
 *   (`conversations.info`), the answer arrives through the response_url with the same note, the log names the fallback;
 * - `/autogen recover` typed where the bot cannot post (or in a DM): refused at ack (`PLAN_NEEDS_CHANNEL`), no
 *   plan made — a plan others approve is never made privately; a plan whose post Slack refuses anyway (the
 *   bot was removed after its membership was cached) is closed at once and the person told why;
 * - an agent the runtime does not know: the ephemeral AGENT_NOT_FOUND, no public report;
 * - "Show logs" posts no message payloads.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderBlocks } from '../../sandbox/render.js';
import { startTestSandbox, type Sandbox, type SandboxMessage } from '../support/sandbox.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { startTestFleet, type LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';
import { escapeText, md } from '../../src/slack/blocks/mrkdwn.js';
import { loadPlan, type PlanRecord } from '../../src/approvals/consume.js';
import { expirePlan } from '../../src/response/propose.js';
import { responseDepsOf } from '../../src/response/context.js';

interface LogLine { level: number; msg: string; slack_error?: string; channel?: string; code?: string; via?: string; response_type?: string; direct?: boolean; plan_id?: string; queue?: string }

let sandbox: Sandbox;
let fleet: LocalFleet;
let bot: TestBot;
const lines: LogLine[] = [];

beforeAll(async () => {
  sandbox = await startTestSandbox();
  fleet = await startTestFleet({ name: 'healthy', rate: 5 });
  const logDestination = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk)) as LogLine); cb(); } });
  bot = await startTestBot({ sandbox, runtimes: { healthy: { url: fleet.url, token: fleet.token } }, env: { LOG_LEVEL: 'info', ALERT_CHANNEL: 'C0ALERTS', MONITOR_ENABLED: 'false' }, logDestination });
}, 90_000);

afterAll(async () => {
  await bot?.stop();
  await Promise.all([fleet?.stop(), sandbox?.stop()]);
});

const outbox = () => {
  const w = bot.worker;
  if (!w) throw new Error('worker not started');
  return w.deps.outbox;
};

const INFO = 30;
const WARN = 40;

describe('ratelimited: Retry-After is waited out', () => {
  it('a channel over Slack\'s rate gets 429s; every message still arrives, once', async () => {
    // the bot's own rate in tests is 20/s: the sandbox's 2 per second per channel must push back
    sandbox.channelRate = { messages: 2, windowMs: 1_000, retryAfterS: 1 };
    try {
      for (let i = 1; i <= 5; i += 1) await outbox().post({ channel: 'C0RATE', text: md`burst ${i}` });
      await waitFor(() => sandbox.messages.filter((m) => m.channel === 'C0RATE').length >= 5, { timeoutMs: 20_000, what: 'five posts' });
    } finally {
      sandbox.channelRate = undefined;
    }
    const texts = sandbox.messages.filter((m) => m.channel === 'C0RATE').map((m) => m.text).sort();
    expect(texts).toEqual(['burst 1', 'burst 2', 'burst 3', 'burst 4', 'burst 5']);
    expect(sandbox.refusals.filter((r) => r.channel === 'C0RATE' && r.error === 'ratelimited').length).toBeGreaterThan(0);
    // an expected wait, not a warning
    expect(lines.filter((l) => l.level >= WARN && l.channel === 'C0RATE')).toEqual([]);
  });
});

describe('invalid_blocks and msg_too_long: shrink and post again', () => {
  it('blocks over Slack\'s limits are cut to them and posted', async () => {
    const long = `${'x'.repeat(3_400)} <https://example.com|a link at the end>`;
    const fields = Array.from({ length: 12 }, (_, i) => ({ type: 'mrkdwn', text: `field ${i}` }));
    const blocks = [
      { type: 'section', text: { type: 'mrkdwn', text: long }, fields },
      { type: 'actions', elements: [{ type: 'button', action_id: 'x:1', text: { type: 'plain_text', text: 'B'.repeat(90) }, value: 'v' }] },
    ];
    await outbox().post({ channel: 'C0BIG', text: md`too big`, blocks: blocks as never });
    const msg = await waitFor(() => sandbox.messages.find((m) => m.channel === 'C0BIG'), { timeoutMs: 10_000, what: 'shrunk post' });
    expect(sandbox.refusals.find((r) => r.channel === 'C0BIG')?.error).toBe('invalid_blocks');
    const section = msg.blocks[0] as { text: { text: string }; fields: unknown[] };
    expect(section.text.text.length).toBeLessThanOrEqual(3_000);
    expect(section.text.text.endsWith('…')).toBe(true);
    expect(section.text.text).not.toContain('<https'); // no half link
    expect(section.fields).toHaveLength(10);
    const button = (msg.blocks[1] as { elements: { text: { text: string } }[] }).elements[0];
    expect(button?.text.text.length).toBeLessThanOrEqual(75);
    expect(lines.some((l) => l.level === INFO && l.slack_error === 'invalid_blocks' && l.channel === 'C0BIG' && l.msg.includes('shrunk'))).toBe(true);
  });

  it('blocks Slack still refuses once within the limits are posted as text alone, words kept', async () => {
    const blocks = [
      { type: 'section', text: { type: 'mrkdwn', text: '*Findings*: the queue is full' } },
      { type: 'mystery_block' },
    ];
    await outbox().post({ channel: 'C0ODD', text: md`fallback`, blocks: blocks as never });
    const msg = await waitFor(() => sandbox.messages.find((m) => m.channel === 'C0ODD'), { timeoutMs: 10_000, what: 'text-only post' });
    expect(msg.blocks).toEqual([]);
    expect(msg.text).toContain('*Findings*: the queue is full');
  });

  it('a text Slack finds too long is cut and posted', async () => {
    sandbox.maxTextChars = 5_000;
    try {
      await outbox().post({ channel: 'C0LONG', text: md`${escapeText('y'.repeat(9_000))}` });
      const msg = await waitFor(() => sandbox.messages.find((m) => m.channel === 'C0LONG'), { timeoutMs: 10_000, what: 'cut post' });
      expect(msg.text.length).toBeLessThanOrEqual(4_000);
      expect(msg.text.endsWith('…')).toBe(true);
      expect(sandbox.refusals.find((r) => r.channel === 'C0LONG')?.error).toBe('msg_too_long');
    } finally {
      sandbox.maxTextChars = 40_000;
    }
  });
});

describe('a channel the bot is not in', () => {
  it('/autogen diagnose from a private channel: the report reaches the user through response_url, with how to invite the bot', async () => {
    sandbox.uninvite('G0PRIVATE', 'private');
    const ack = await sandbox.sendCommand(bot.eventsUrl, { text: 'diagnose ChatAgent healthy', channel: 'G0PRIVATE' });
    expect(ack.status).toBe(200);
    const responseId = new URLSearchParams(ack.body).get('response_url')?.split('/').pop();
    const response = await waitFor(() => sandbox.responses.find((r) => r.id === responseId), { timeoutMs: 20_000, what: 'answer through response_url' });
    expect(response.body.response_type).toBe('ephemeral');
    expect(String(response.body.text)).toContain('/invite @autogen-ops');
    const shown = renderBlocks(response.body.blocks as Record<string, unknown>[]);
    expect(shown).toContain('ChatAgent on healthy');
    expect(shown).toContain('not a member of this channel');
    expect(sandbox.messages.filter((m) => m.channel === 'G0PRIVATE')).toEqual([]);
    expect(sandbox.refusals.find((r) => r.channel === 'G0PRIVATE')?.error).toBe('channel_not_found');
    expect(lines.some((l) => l.level === INFO && l.channel === 'G0PRIVATE' && l.msg.includes('response_url'))).toBe(true);
  });

  it('/autogen health from a DM the bot is not part of: answered through response_url too', async () => {
    sandbox.uninvite('D0SOMEDM', 'im');
    const ack = await sandbox.sendCommand(bot.eventsUrl, { text: 'health healthy', channel: 'D0SOMEDM' });
    expect(ack.status).toBe(200);
    const responseId = new URLSearchParams(ack.body).get('response_url')?.split('/').pop();
    const response = await waitFor(() => sandbox.responses.find((r) => r.id === responseId), { timeoutMs: 20_000, what: 'answer through response_url' });
    expect(String(response.body.text)).toContain('direct message');
    expect(sandbox.messages.filter((m) => m.channel === 'D0SOMEDM')).toEqual([]);
  });

  it('after /invite the same command posts in the channel again', async () => {
    sandbox.invite('G0PRIVATE');
    await sandbox.sendCommand(bot.eventsUrl, { text: 'diagnose ChatAgent healthy', channel: 'G0PRIVATE' });
    const msg = await waitFor(() => sandbox.messages.find((m) => m.channel === 'G0PRIVATE'), { timeoutMs: 20_000, what: 'report in the channel' });
    expect(renderBlocks(msg.blocks)).toContain('ChatAgent on healthy');
  });

  it('a post with no one to answer (no response_url): a warning that says to invite the bot, the job failed, not silent', async () => {
    sandbox.uninvite('C0PUBLIC', 'public');
    await outbox().post({ channel: 'C0PUBLIC', text: md`alert thread` });
    const line = await waitFor(() => lines.find((l) => l.level === WARN && l.channel === 'C0PUBLIC' && l.msg.includes('invite')), { timeoutMs: 10_000, what: 'warning' });
    expect(line.slack_error).toBe('not_in_channel');
    expect(sandbox.messages.filter((m) => m.channel === 'C0PUBLIC')).toEqual([]);
  });

  it('what follows a refused first message does not wait for it: a reply fails at once saying why, or answers through its own response_url', async () => {
    sandbox.uninvite('C0ROOTLESS', 'public');
    await outbox().post({ channel: 'C0ROOTLESS', text: md`incident root`, ts_key: 'rootless-root' });
    await waitFor(() => lines.find((l) => l.level === WARN && l.channel === 'C0ROOTLESS'), { timeoutMs: 10_000, what: 'the root refused' });
    // no one to answer: failed for good with the parent's refusal (it used to wait 30 minutes for a ts that never comes)
    const queue = bot.worker!.deps.queues.get('notify');
    const id = await outbox().post({ channel: 'C0ROOTLESS', text: md`a reply`, thread_ts_key: 'rootless-root' });
    const failed = await waitFor(async () => {
      const job = await queue.getJob(id);
      return job && (await job.getState()) === 'failed' ? job : undefined;
    }, { timeoutMs: 10_000, what: 'the reply to fail' });
    expect(failed.failedReason).toContain('Slack refused the first message (`not_in_channel`)');
    // a reply of a command (it has a response_url): the person who asked gets it there, with how to invite the bot
    await outbox().post({ channel: 'C0ROOTLESS', text: md`the report`, thread_ts_key: 'rootless-root', response_url: `${sandbox.url}/response/rootless-report` });
    const answer = await waitFor(() => sandbox.responses.find((r) => r.id === 'rootless-report'), { timeoutMs: 10_000, what: 'the answer through response_url' });
    expect(String((answer.body as Record<string, unknown>).text)).toMatch(/invite me[\s\S]*the report/);
    expect(sandbox.messages.filter((m) => m.channel === 'C0ROOTLESS')).toEqual([]);
  });
});

describe('automation, audit and incidents typed where the bot is not', () => {
  /** Sends the command from `channel` (named `name`); its ack, and every answer through its response_url. */
  async function typed(text: string, channel: string, name: string, answers = 1): Promise<{ ack: string; responses: Record<string, unknown>[] }> {
    const sent = await sandbox.sendCommand(bot.eventsUrl, { text, channel, channelName: name, user: 'U0ASKER' });
    expect(sent.status).toBe(200);
    const responseId = new URLSearchParams(sent.body).get('response_url')?.split('/').pop();
    const responses = await waitFor(() => {
      const got = sandbox.responses.filter((r) => r.id === responseId);
      return got.length >= answers ? got.map((r) => r.body) : undefined;
    }, { timeoutMs: 20_000, what: `answer of "${text}" through response_url` });
    return { ack: String(sent.json?.text ?? sent.text), responses };
  }

  const shown = (body: Record<string, unknown>): string => `${String(body.text)}\n${Array.isArray(body.blocks) ? renderBlocks(body.blocks as Record<string, unknown>[]) : ''}`;
  const fellBack = (channel: string): boolean => lines.some((l) => l.level === INFO && l.channel === channel && l.via === 'response_url' && l.msg.includes('response_url'));

  it('each answer reaches the person through the response_url with how to invite the bot; the ack says so first', async () => {
    const cases = [
      { text: 'automation status', channel: 'G0NOTIN2', kind: 'private' as const, says: /automation/i },
      { text: 'audit', channel: 'C0NOTIN3', kind: 'public' as const, says: /\*Audit log\*/ },
      { text: 'incidents', channel: 'G0NOTIN4', kind: 'private' as const, says: /incident/i },
    ];
    for (const c of cases) sandbox.uninvite(c.channel, c.kind);
    for (const c of cases) {
      const { ack, responses } = await typed(c.text, c.channel, 'war-room');
      expect(ack, c.text).toContain("I'm not in #war-room; I'll answer here where only you can see it");
      expect(ack, c.text).toContain('/invite @autogen-ops');
      const answer = responses[0] ?? {};
      expect(answer.response_type, c.text).toBe('ephemeral');
      expect(shown(answer), c.text).toContain('not a member of this channel, so only you see this');
      expect(shown(answer), c.text).toMatch(c.says);
      expect(sandbox.messages.filter((m) => m.channel === c.channel), c.text).toEqual([]);
      expect(sandbox.ephemerals.filter((e) => e.channel === c.channel), c.text).toEqual([]);
      expect(sandbox.refusals.some((r) => r.channel === c.channel && r.method.startsWith('chat.') && (r.error === 'not_in_channel' || r.error === 'channel_not_found')), c.text).toBe(true);
      await waitFor(() => fellBack(c.channel), { timeoutMs: 10_000, what: `log line naming the fallback for ${c.text}` });
    }
    expect(lines.filter((l) => l.level >= WARN && ['G0NOTIN2', 'C0NOTIN3', 'G0NOTIN4'].includes(l.channel ?? ''))).toEqual([]);
  });

  it('automation off announces through the command to the channel (in_channel); audit json says the file was not shared', async () => {
    sandbox.uninvite('C0NOTIN5', 'public');
    const off = await typed('automation off', 'C0NOTIN5', 'war-room');
    expect(off.ack).toContain("I'll post the answer through this command");
    expect(off.responses[0]?.response_type).toBe('in_channel');
    expect(shown(off.responses[0] ?? {})).toContain('switched response automation *off*');
    expect(shown(off.responses[0] ?? {})).toContain('/invite @autogen-ops');
    await sandbox.sendCommand(bot.eventsUrl, { text: 'automation on', channel: 'C0OPSROOM', user: 'U0ASKER' }); // leave it as found (refused or on)

    const json = await typed('audit json', 'C0NOTIN5', 'war-room', 1);
    expect(json.ack).toContain("I'm not in #war-room");
    const told = json.responses.find((r) => String(r.text).includes('could not be shared here'));
    expect(told?.response_type).toBe('ephemeral');
    expect(sandbox.files.filter((f) => f.channel === 'C0NOTIN5')).toEqual([]);
  });

  it('a DM between other people: the ack says the bot is not part of it; the answer comes through the response_url, directly once Slack refused it', async () => {
    sandbox.uninvite('D0THEIRDM', 'im');
    const { ack, responses } = await typed('audit', 'D0THEIRDM', 'directmessage');
    expect(ack).toContain('I am not part of this conversation');
    expect(shown(responses[0] ?? {})).toContain('direct message I am not part of');
    const posts = (): number => sandbox.refusals.filter((r) => r.channel === 'D0THEIRDM' && r.method.startsWith('chat.')).length;
    const refused = posts();
    expect(refused).toBeGreaterThan(0);
    // no one can invite the bot into someone else's DM: the next answer is not offered to Slack first
    const again = await typed('incidents', 'D0THEIRDM', 'directmessage');
    expect(shown(again.responses[0] ?? {})).toContain('direct message I am not part of');
    expect(posts()).toBe(refused);
    await waitFor(() => lines.some((l) => l.channel === 'D0THEIRDM' && l.via === 'response_url' && l.direct === true), { timeoutMs: 10_000, what: 'log line of the direct answer' });
  });

  it('in a channel the bot is in: no note, answered in the channel as before', async () => {
    const sent = await sandbox.sendCommand(bot.eventsUrl, { text: 'audit', channel: 'C0MEMBER', user: 'U0ASKER' });
    expect(String(sent.json?.text)).not.toContain("I'm not in");
    const eph = await waitFor(() => sandbox.ephemerals.find((e) => e.channel === 'C0MEMBER'), { timeoutMs: 20_000, what: 'ephemeral in the channel' });
    expect(eph.text).toContain('*Audit log*');
    const responseId = new URLSearchParams(sent.body).get('response_url')?.split('/').pop();
    expect(sandbox.responses.filter((r) => r.id === responseId)).toEqual([]);
  });
});

describe('recover where its plan cannot be shared', () => {
  const worker = () => {
    const w = bot.worker;
    if (!w) throw new Error('worker not started');
    return w.deps;
  };
  /** Every stored plan record of `channel`. */
  async function plansIn(channel: string): Promise<PlanRecord[]> {
    const d = worker();
    const keys = await d.redis.keys(`${d.keyPrefix}plan:pl-*`);
    const recs = await Promise.all(keys.map((k) => loadPlan(d.redis, d.keyPrefix, k.slice(`${d.keyPrefix}plan:`.length))));
    return recs.filter((r): r is PlanRecord => r !== null && r.plan.channel === channel);
  }
  const responsesTo = (body: string): Record<string, unknown>[] => {
    const id = new URLSearchParams(body).get('response_url')?.split('/').pop();
    return sandbox.responses.filter((r) => r.id === id).map((r) => r.body);
  };

  it('in a private channel the bot is not in: refused at ack with where to run it, no plan job, no plan stored', async () => {
    sandbox.uninvite('G0NOPLAN', 'private');
    const sent = await sandbox.sendCommand(bot.eventsUrl, { text: 'recover ToolAgent healthy message-timeout', channel: 'G0NOPLAN', channelName: 'war-room', user: 'U0ASKER' });
    expect(sent.status).toBe(200);
    const ack = String(sent.json?.text);
    expect(sent.json?.response_type).toBe('ephemeral');
    expect(ack).toContain('A recovery plan must be posted where its approvers can see it, and I cannot post here.');
    expect(ack).toContain("I'm not in #war-room, so nothing was planned; the alert channel is <#C0ALERTS>.");
    expect(ack).toContain('/invite @autogen-ops');
    expect(ack).toContain('(PLAN_NEEDS_CHANNEL)');
    await waitFor(() => lines.find((l) => l.channel === 'G0NOPLAN' && l.code === 'PLAN_NEEDS_CHANNEL'), { timeoutMs: 5_000, what: 'the refusal logged' });
    expect(lines.filter((l) => l.channel === 'G0NOPLAN' && l.msg === 'command queued')).toEqual([]);
    // a diagnosis in another channel goes through the same queues: once it is answered, a plan job would have run
    await sandbox.sendCommand(bot.eventsUrl, { text: 'diagnose ChatAgent healthy', channel: 'C0AFTER' });
    await waitFor(() => sandbox.messages.find((m) => m.channel === 'C0AFTER'), { timeoutMs: 20_000, what: 'a later report' });
    expect(await plansIn('G0NOPLAN')).toEqual([]);
    expect(responsesTo(sent.body)).toEqual([]);
    expect(sandbox.refusals.filter((r) => r.channel === 'G0NOPLAN' && r.method.startsWith('chat.'))).toEqual([]);
  });

  it('in a direct message: refused at ack (approvers cannot see a DM), without asking Slack', async () => {
    const asked = sandbox.calls.filter((c) => c.method === 'conversations.info').length;
    const sent = await sandbox.sendCommand(bot.eventsUrl, { text: 'recover ToolAgent healthy', channel: 'D0MYDM', channelName: 'directmessage', user: 'U0ASKER' });
    const ack = String(sent.json?.text);
    expect(ack).toContain('This is a direct message, which its approvers cannot see, so nothing was planned; the alert channel is <#C0ALERTS>.');
    expect(ack).toContain('(PLAN_NEEDS_CHANNEL)');
    expect(sandbox.calls.filter((c) => c.method === 'conversations.info').length).toBe(asked);
    expect(await plansIn('D0MYDM')).toEqual([]);
  });

  it('in a channel the bot is in: unchanged, the plan is posted there with Approve / Reject', async () => {
    const sent = await sandbox.sendCommand(bot.eventsUrl, { text: 'recover ToolAgent healthy message-timeout', channel: 'C0PLANHERE', channelName: 'ops', user: 'U0ASKER' });
    expect(String(sent.json?.text)).toContain('Planning a recovery for');
    expect(String(sent.json?.text)).not.toContain('PLAN_NEEDS_CHANNEL');
    const plan = await waitFor(() => sandbox.messages.find((m) => m.channel === 'C0PLANHERE' && renderBlocks(m.blocks).includes('Recovery plan:')), { timeoutMs: 20_000, what: 'the plan in the channel' });
    expect(JSON.stringify(plan.blocks)).toContain('plan:approve');
    const [rec] = await plansIn('C0PLANHERE');
    expect(rec?.status).toBe('pending');
    expect(responsesTo(sent.body)).toEqual([]);
  });

  it('a plan whose post Slack refuses anyway (membership cached before the bot was removed) is closed at once, the person told through the response_url', async () => {
    // the ack's check answers from its cache: "member" (learnt by this command), then the bot is removed
    await sandbox.sendCommand(bot.eventsUrl, { text: 'audit', channel: 'G0REMOVED', channelName: 'war-room', user: 'U0ASKER' });
    await waitFor(() => sandbox.ephemerals.find((e) => e.channel === 'G0REMOVED'), { timeoutMs: 20_000, what: 'the audit answer in the channel' });
    sandbox.uninvite('G0REMOVED', 'private');
    const sent = await sandbox.sendCommand(bot.eventsUrl, { text: 'recover ToolAgent healthy message-timeout', channel: 'G0REMOVED', channelName: 'war-room', user: 'U0ASKER' });
    expect(String(sent.json?.text)).toContain('Planning a recovery for');
    const told = await waitFor(() => responsesTo(sent.body).find((b) => String(b.text).includes('PLAN_NEEDS_CHANNEL')), { timeoutMs: 20_000, what: 'the requester told through the response_url' });
    expect(told.response_type).toBe('ephemeral');
    expect(String(told.text)).toMatch(/plan `pl-[a-z0-9-]+` was closed and nothing will run \(Slack said `channel_not_found`\); the alert channel is <#C0ALERTS>\./);
    // the plan itself (its buttons) never went anywhere: not in the channel, not privately
    expect(responsesTo(sent.body).filter((b) => JSON.stringify(b).includes('plan:approve'))).toEqual([]);
    expect(sandbox.messages.filter((m) => m.channel === 'G0REMOVED')).toEqual([]);
    const [rec] = await waitFor(async () => {
      const recs = await plansIn('G0REMOVED');
      return recs.length === 1 && recs[0]?.status !== 'pending' ? recs : undefined;
    }, { timeoutMs: 10_000, what: 'the plan closed' });
    expect(rec?.status).toBe('superseded');
    expect(rec?.decidedBy).toBe('not-shared');
    // closed, not pending: its expiry has nothing to edit (no job waits for a message that never came)
    expect(await expirePlan(responseDepsOf(worker()), rec?.plan.id ?? '')).toBe('nothing');
    expect(lines.some((l) => l.channel === 'G0REMOVED' && l.plan_id === rec?.plan.id && l.msg.includes('closed'))).toBe(true);
    expect(lines.filter((l) => l.level >= WARN && l.channel === 'G0REMOVED')).toEqual([]);
  });
});

describe('an agent the runtime does not know', () => {
  it('gets the ephemeral AGENT_NOT_FOUND with "did you mean", not a public report', async () => {
    const ack = await sandbox.sendCommand(bot.eventsUrl, { text: 'diagnose chatagent healthy', channel: 'C0TYPO', user: 'U0TYPO' });
    expect(ack.status).toBe(200);
    const eph = await waitFor(() => sandbox.ephemerals.find((e) => e.channel === 'C0TYPO'), { timeoutMs: 20_000, what: 'ephemeral' });
    expect(eph.user).toBe('U0TYPO');
    expect(eph.text).toContain('AGENT_NOT_FOUND');
    expect(eph.text).toContain('Did you mean `ChatAgent`?');
    expect(eph.text).toContain('Registered:');
    expect(sandbox.messages.filter((m) => m.channel === 'C0TYPO')).toEqual([]);
  });
});

describe('"Show logs" posts no message payloads', () => {
  it('the logs reply shows the events without their payload', async () => {
    const bridge = bot.worker?.deps.bridgeFor('healthy');
    // the fleet's INFO records do carry payloads (the user's data): what must not reach Slack
    const raw = await waitFor(async () => {
      const page = await bridge?.logs({ agent: 'ChatAgent', since: 300, level: 'INFO', limit: 500 });
      return page?.records.some((r) => (r.message ?? '').includes('"payload"')) ? page : undefined;
    }, { timeoutMs: 15_000, what: 'records with payloads' });
    expect(raw.records.length).toBeGreaterThan(0);
    await sandbox.sendCommand(bot.eventsUrl, { text: 'diagnose ChatAgent healthy', channel: 'C0LOGS' });
    const report = await waitFor(() => sandbox.messages.find((m) => m.channel === 'C0LOGS' && m.thread_ts === undefined), { timeoutMs: 20_000, what: 'report' });
    const click = await sandbox.clickButton(bot.eventsUrl, report as SandboxMessage, 'diag:logs');
    expect(click.status).toBe(200);
    const reply = await waitFor(() => sandbox.messages.find((m) => m.thread_ts === report.ts), { timeoutMs: 15_000, what: 'logs reply' });
    const shown = `${reply.text}\n${renderBlocks(reply.blocks)}`;
    expect(shown).toContain('Logs of ChatAgent on healthy');
    expect(shown).not.toContain('"payload"');
    expect(shown).toContain('(payload omitted)');
    const files = sandbox.files.filter((f) => f.thread_ts === report.ts);
    for (const f of files) expect(f.content).not.toContain('"payload"');
  });
});
