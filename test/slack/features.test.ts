/**
 * The bot's features as units (src/slack/features): they do not fight over a word or an id, each listens
 * exactly on what it declares (so the catch-all acks the rest), and a unit added to the list is all it
 * takes for a new subcommand and button to reach help, the router and their listener through the real app.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { App } from '@slack/bolt';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { Queues } from '../../src/queues/queues.js';
import { Outbox } from '../../src/outbox/index.js';
import { claimsOf, featureConflicts, FEATURES, registerFeatures, subcommandsOf, type Feature } from '../../src/slack/features/index.js';
import type { Subcommand } from '../../src/slack/commands/types.js';
import { code, md } from '../../src/slack/blocks/mrkdwn.js';
import type { BotDeps } from '../../src/slack/deps.js';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';
import { startTestBot, uniquePrefix, type TestBot } from '../support/bot.js';
import { waitFor } from '../support/poll.js';

const config = loadConfig({ AUTOGEN_RUNTIMES: 'prod=http://a', AUTOGEN_RUNTIME_PROD_TOKEN: 'x', LOG_LEVEL: 'silent', QUEUE_PREFIX: uniquePrefix() });

/** What one feature registered on the app, by surface. */
interface Registered {
  actions: RegExp[];
  shortcuts: string[];
  events: string[];
}

/** A Bolt app stand-in that records what `register` asks for; any other surface fails the test. */
function recordingApp(into: Registered): App {
  const refuse = (surface: string) => () => { throw new Error(`a feature registered a ${surface} listener: only actions, shortcuts and events are claimed (src/slack/features/feature.ts)`); };
  return {
    action: (constraint: { action_id?: unknown }) => {
      if (!(constraint.action_id instanceof RegExp)) throw new Error('action listeners match an action_id pattern');
      into.actions.push(constraint.action_id);
    },
    shortcut: (id: string | { callback_id: string }) => { into.shortcuts.push(typeof id === 'string' ? id : id.callback_id); },
    event: (name: string) => { into.events.push(name); },
    command: refuse('command'),
    view: refuse('view'),
    options: refuse('options'),
    message: refuse('message'),
  } as unknown as App;
}

const sub = (name: string, aliases: string[] = []): Subcommand => ({ name, aliases, usage: name, summary: name, parse: () => ({ ok: true, ack: md`ok` }) });
const unit = (name: string, over: Partial<Feature> = {}): Feature => ({ name, subcommands: [], actionPrefixes: [], shortcuts: [], events: [], register() {}, ...over });

describe('feature units (pure)', () => {
  it("the bot's features do not conflict, and claim the product's prefixes, shortcut and event", () => {
    expect(featureConflicts(FEATURES)).toEqual([]);
    expect(FEATURES.map((f) => f.name)).toEqual(['diagnose', 'guide', 'incidents', 'response', 'audit']);
    expect(claimsOf(FEATURES)).toEqual({ actionPrefixes: ['diag:', 'guide:', 'incident:', 'plan:'], shortcuts: ['autogen_glance'], events: ['app_home_opened'] });
  });

  it('names each clash: a name, a word or alias, a prefix that starts another, an empty prefix, a shortcut, an event', () => {
    const problems = featureConflicts([
      unit('a', { subcommands: [sub('go', ['g'])], actionPrefixes: ['a:'], shortcuts: ['s1'], events: ['e1'] }),
      unit('a'),
      unit('b', { subcommands: [sub('g')], actionPrefixes: ['a:b:', ''], shortcuts: ['s1'], events: ['e1'] }),
      unit('c', { subcommands: [sub('help')] }),
    ]);
    expect(problems).toEqual(expect.arrayContaining([
      'feature name "a" is claimed by a and a',
      'subcommand word "g" is claimed by a and b',
      'subcommand word "help" is claimed by c and the router',
      'action prefix "a:" (a) also matches "a:b:" (b)',
      'b claims an empty action prefix (every action)',
      'shortcut "s1" is claimed by a and b',
      'event "e1" is claimed by a and b',
    ]));
    expect(problems).toHaveLength(7);
  });

  it('subcommands are the features\', in order, then help', () => {
    expect(subcommandsOf([unit('x', { subcommands: [sub('one'), sub('two')] }), unit('y', { subcommands: [sub('three')] })]).map((s) => s.name))
      .toEqual(['one', 'two', 'three', 'help']);
  });
});

describe('each feature listens exactly on what it declares (recording app)', () => {
  let redis: Redis;
  let deps: BotDeps;

  beforeAll(() => {
    redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null, lazyConnect: true });
    const queues = new Queues(redis, config.queues.prefix, { attempts: 1, backoffMs: 10 });
    deps = { config, logger: createLogger(config), queues, outbox: new Outbox(queues, redis, 'x:'), redis, now: () => new Date() };
  });

  afterAll(() => { redis.disconnect(); });

  const others = (f: Feature) => claimsOf(FEATURES.filter((g) => g !== f)).actionPrefixes;

  for (const f of FEATURES) {
    it(`${f.name}: its action patterns cover its prefixes only; its shortcuts and events are the declared ones`, () => {
      const got: Registered = { actions: [], shortcuts: [], events: [] };
      f.register(recordingApp(got), deps);
      for (const p of f.actionPrefixes) expect(got.actions.some((re) => re.test(`${p}anything`)), `${p} has a listener`).toBe(true);
      for (const re of got.actions) {
        for (const q of others(f)) expect(re.test(`${q}anything`), `${re} claims ${q}`).toBe(false);
        for (const id of ['legacy_button', `x${f.actionPrefixes[0] ?? 'y'}`]) expect(re.test(id), `${re} claims ${id}`).toBe(false);
      }
      if (f.actionPrefixes.length === 0) expect(got.actions).toEqual([]);
      expect(got.shortcuts.sort()).toEqual([...f.shortcuts].sort());
      expect(got.events.sort()).toEqual([...f.events].sort());
    });
  }

  it('conflicting features are refused before any listener is registered', () => {
    const got: Registered = { actions: [], shortcuts: [], events: [] };
    const clash = unit('clash', { actionPrefixes: ['diag:logs'], register: (app) => { app.action({ action_id: /^diag:logs/ }, async () => undefined); } });
    expect(() => registerFeatures(recordingApp(got), deps, [...FEATURES, clash])).toThrow(/action prefix "diag:" \(diagnose\) also matches "diag:logs" \(clash\)/);
    expect(got).toEqual({ actions: [], shortcuts: [], events: [] });
  });
});

describe('a feature added to the list reaches help, the router and its listener (real app)', () => {
  let sandbox: Sandbox;
  let bot: TestBot;
  /** A throwaway unit: one subcommand and one button prefix, as a new feature would be written. */
  const echo: Feature = {
    name: 'echo',
    subcommands: [{
      name: 'echo',
      usage: 'echo <word>',
      summary: 'say the word back',
      parse: (args) => ({ ok: true, ack: md`echo ${code(args[0] ?? '')}` }),
    }],
    actionPrefixes: ['echo:'],
    shortcuts: [],
    events: [],
    register(app, deps) {
      app.action({ action_id: /^echo:/ }, async ({ ack, body }) => {
        await ack();
        const channel = (body as { channel?: { id?: string } }).channel?.id ?? 'C0NONE';
        await deps.outbox.ephemeral({ channel, user: body.user.id, text: md`echo clicked` });
      });
    },
  };

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    bot = await startTestBot({ sandbox, features: [...FEATURES, echo], runtimes: { prod: { url: 'http://127.0.0.1:9', token: 't' } } });
  });

  afterAll(async () => {
    await bot.stop();
    await sandbox.stop();
  });

  it('/autogen help lists it beside the product\'s subcommands; /autogen echo is routed to it', async () => {
    const help = String((await sandbox.sendCommand(bot.eventsUrl, { text: 'help' })).json?.text);
    expect(help).toContain('/autogen echo &lt;word&gt;');
    for (const s of subcommandsOf(FEATURES)) expect(help).toContain(`/autogen ${s.name}`);
    const res = await sandbox.sendCommand(bot.eventsUrl, { text: 'echo hello' });
    expect(res.json).toMatchObject({ response_type: 'ephemeral', text: 'echo `hello`' });
  });

  it('its button reaches its listener, not the catch-all', async () => {
    const res = await sandbox.sendBlockAction(bot.eventsUrl, { user: 'U0ALICE', channel: 'C0ECHO', messageTs: '1700000000.000100', blockId: 'b1', element: { type: 'button', action_id: 'echo:ping', value: 'v' } });
    expect(res.status).toBe(200);
    const eph = await waitFor(() => sandbox.ephemerals.find((e) => e.channel === 'C0ECHO'), { what: 'ephemeral in C0ECHO' });
    expect(eph.text).toBe('echo clicked');
    expect(sandbox.ephemerals.filter((e) => e.channel === 'C0ECHO').some((e) => e.text.includes('INTERACTION_UNKNOWN'))).toBe(false);
  });
});
