/**
 * The command listener tested bolt-js style: called with plain argument objects ({ command, ack }), real
 * BullMQ queues on the test Redis. And the pure parser.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { App } from '@slack/bolt';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { Queues } from '../../src/queues/queues.js';
import { Outbox } from '../../src/outbox/index.js';
import { register } from '../../src/slack/listeners/commands.js';
import { diagActionJob } from '../../src/slack/listeners/diag-actions.js';
import { parseCommand, SUBCOMMANDS, tokenize } from '../../src/slack/commands/index.js';
import { FEATURES } from '../../src/slack/features/index.js';
import { OpsError } from '../../src/errors.js';
import { escapeText } from '../../src/slack/blocks/mrkdwn.js';
import { uniquePrefix } from '../support/bot.js';

type Handler = (args: Record<string, unknown>) => Promise<void>;

const config = loadConfig({ AUTOGEN_RUNTIMES: 'prod=http://a;staging=http://b', AUTOGEN_RUNTIME_PROD_TOKEN: 'x', AUTOGEN_RUNTIME_STAGING_TOKEN: 'y', LOG_LEVEL: 'silent', QUEUE_PREFIX: uniquePrefix() });
const now = new Date('2026-01-01T00:00:00Z');
let redis: Redis;
let queues: Queues;
let handler: Handler;

beforeAll(() => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  queues = new Queues(redis, config.queues.prefix, { attempts: 1, backoffMs: 10 });
  const fakeApp = { command: (_name: string, fn: Handler) => { handler = fn; } } as unknown as App;
  register(fakeApp, { config, logger: createLogger(config), queues, outbox: new Outbox(queues, redis, 'x:'), redis, now: () => now });
});

afterAll(async () => {
  await queues.close();
  redis.disconnect();
});

function commandArgs(text: string, trigger = `${Math.random()}`) {
  const acks: unknown[] = [];
  return { acks, args: { command: { text, user_id: 'U1', channel_id: 'C1', team_id: 'T1', trigger_id: trigger }, ack: async (r: unknown) => { acks.push(r); } } };
}

describe('command listener with plain arguments', () => {
  it('acks once, ephemerally, after the job is in the queue', async () => {
    const { acks, args } = commandArgs('diagnose ChatAgent staging', 'trig1');
    await handler(args);
    expect(acks).toHaveLength(1);
    expect(acks[0]).toMatchObject({ response_type: 'ephemeral' });
    const job = await queues.get('diagnose').getJob('diag-trig1');
    expect(job?.data).toMatchObject({ agent: 'ChatAgent', runtime: 'staging', channel: 'C1', user: 'U1', requested_at: now.toISOString() });
  });

  it('a bad argument is acked with the coded error and nothing is enqueued', async () => {
    const before = await queues.get('diagnose').count();
    const { acks, args } = commandArgs('diagnose', 'trig2');
    await handler(args);
    expect(String((acks[0] as { text: string }).text)).toContain('COMMAND_USAGE');
    expect(await queues.get('diagnose').count()).toBe(before);
  });

  it('Redis unreachable → QUEUE_UNAVAILABLE ack within the deadline, no crash', async () => {
    const deadRedis = new Redis('redis://127.0.0.1:1', { maxRetriesPerRequest: null, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
    deadRedis.on('error', () => undefined);
    const deadQueues = new Queues(deadRedis, config.queues.prefix, { attempts: 1, backoffMs: 10 });
    deadQueues.get('diagnose').on('error', () => undefined);
    let deadHandler: Handler | undefined;
    register({ command: (_n: string, fn: Handler) => { deadHandler = fn; } } as unknown as App, { config, logger: createLogger(config), queues: deadQueues, outbox: new Outbox(deadQueues, deadRedis, 'x:'), redis: deadRedis, now: () => now });
    const { acks, args } = commandArgs('diagnose ChatAgent');
    await deadHandler?.(args);
    expect(String((acks[0] as { text: string }).text)).toContain('QUEUE_UNAVAILABLE');
    deadRedis.disconnect();
  });
});

describe('parseCommand (pure)', () => {
  const ctx = { config, user: 'U1', channel: 'C1', team: 'T1', now, requestId: 'r1' };

  it('empty text shows help; words are split on any whitespace', () => {
    const r = parseCommand('   ', ctx);
    expect(r.ok && r.ack).toContain('diagnose &lt;agent&gt; [runtime]');
    expect(tokenize(' diagnose\u00a0 ChatAgent\tprod ')).toEqual(['diagnose', 'ChatAgent', 'prod']);
  });

  it('the alias diag works and the job id is derived from the request (idempotent)', () => {
    const r = parseCommand('diag ChatAgent', ctx);
    expect(r.ok && r.job?.jobId).toBe('diag-r1');
  });

  it('help is generated from the registry', () => {
    const r = parseCommand('help', ctx);
    for (const s of SUBCOMMANDS) expect(r.ok && r.ack).toContain(escapeText(s.usage));
  });

  it('every feature\'s subcommands are in help and reach their own parser by name and alias (src/slack/features)', () => {
    const help = parseCommand('help', ctx);
    const outcome = (r: ReturnType<typeof parseCommand>) => (r.ok ? { ack: r.ack, job: r.job } : { code: r.error.code });
    for (const f of FEATURES) {
      for (const s of f.subcommands) {
        expect(SUBCOMMANDS, `${f.name}: ${s.name}`).toContain(s);
        expect(help.ok && help.ack, `${f.name}: ${s.name}`).toContain(escapeText(s.usage));
        for (const word of [s.name, ...(s.aliases ?? [])]) {
          const routed = outcome(parseCommand(`${word.toUpperCase()} ChatAgent`, ctx));
          expect(routed, `${f.name}: ${word}`).not.toEqual({ code: 'COMMAND_UNKNOWN' });
          expect(routed, `${f.name}: ${word}`).toEqual(outcome(s.parse(['ChatAgent'], { ...ctx, subcommands: SUBCOMMANDS })));
        }
      }
    }
  });
});

describe('diag: button jobs (pure)', () => {
  const where = { channel: 'C1', user: 'U1', thread_ts: '1.000100', requestId: 'r9', now };
  it('Show logs / Run again / Propose recovery map to their queues', () => {
    const v = JSON.stringify({ a: 'ChatAgent', r: 'prod' });
    expect(diagActionJob('diag:logs', v, where, ['prod'])).toMatchObject({ queue: 'diagnose', payload: { mode: 'logs', thread_ts: '1.000100' } });
    expect(diagActionJob('diag:rerun', v, where, ['prod'])).toMatchObject({ queue: 'diagnose', payload: { mode: 'report' } });
    expect(diagActionJob('diag:recover', v, where, ['prod'])).toMatchObject({ queue: 'respond' });
  });
  it('tampered values and unknown ids are coded errors', () => {
    expect((diagActionJob('diag:logs', '{"a":"x y"}', where, ['prod']) as OpsError).code).toBe('ACTION_PAYLOAD_INVALID');
    expect((diagActionJob('diag:logs', JSON.stringify({ a: 'A', r: 'other' }), where, ['prod']) as OpsError).code).toBe('RUNTIME_UNKNOWN');
    expect((diagActionJob('diag:nope', JSON.stringify({ a: 'A', r: 'prod' }), where, ['prod']) as OpsError).code).toBe('ACTION_UNKNOWN');
  });
});
