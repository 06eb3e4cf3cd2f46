import { describe, expect, it } from 'vitest';
import { loadConfig, runtimeTokenVar } from '../src/config.js';
import { OpsError } from '../src/errors.js';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(OpsError);
    expect((err as OpsError).code).toBe('CONFIG_INVALID');
    return (err as OpsError).details.problems as string[];
  }
  throw new Error('expected CONFIG_INVALID');
}

describe('loadConfig', () => {
  it('nothing configured: embedded defaults (no Slack, Redis or runtimes) and documented defaults', () => {
    const c = loadConfig({});
    expect(c.slack.botToken).toBeUndefined();
    expect(c.redis.url).toBeUndefined();
    expect(c.runtimes.byName).toEqual({});
    expect(c.slack.mode).toBe('http');
    expect(c.queues.prefix).toBe('{autogen-ops}');
    expect(c.runtimes.timeoutMs).toBe(3000);
    expect(c.queues.concurrency).toBe(8);
    expect(c.queues.alertConcurrency).toBe(2);
    expect(loadConfig({ ALERT_WORKER_CONCURRENCY: '4' }).queues.alertConcurrency).toBe(4);
  });

  it('several runtimes by name, each with its own token; the first is the default', () => {
    const c = loadConfig({
      AUTOGEN_RUNTIMES: 'prod=https://a.example:8700/; staging=http://10.0.0.5:8700',
      AUTOGEN_RUNTIME_PROD_TOKEN: 'p-token',
      AUTOGEN_RUNTIME_STAGING_TOKEN: 's-token',
    });
    expect(c.runtimes.byName.prod).toEqual({ name: 'prod', url: 'https://a.example:8700', token: 'p-token' });
    expect(c.runtimes.byName.staging?.token).toBe('s-token');
    expect(c.runtimes.defaultName).toBe('prod');
    expect(runtimeTokenVar('eu-west')).toBe('AUTOGEN_RUNTIME_EU_WEST_TOKEN');
  });

  it('reports every problem at once', () => {
    const problems = problemsOf(() => loadConfig({
      SLACK_MODE: 'carrier-pigeon',
      SLACK_BOT_TOKEN: 'not-a-token',
      REDIS_URL: 'http://wrong',
      QUEUE_PREFIX: 'no-hash-tag',
      AUTOGEN_RUNTIMES: 'prod=https://a.example;Bad Name=ftp://x',
      AUTOGEN_DEFAULT_RUNTIME: 'nope',
      PORT: '99999',
    }));
    const text = problems.join('\n');
    for (const v of ['SLACK_MODE', 'SLACK_BOT_TOKEN', 'REDIS_URL', 'QUEUE_PREFIX', 'PORT', 'AUTOGEN_RUNTIME_PROD_TOKEN', 'runtime name "Bad Name"']) {
      expect(text).toContain(v);
    }
    expect(problems.length).toBeGreaterThanOrEqual(7);
  });

  it('role requirements: the bot needs Slack credentials and Redis, the worker needs a runtime', () => {
    const problems = problemsOf(() => loadConfig({}, 'all'));
    const text = problems.join('\n');
    expect(text).toContain('SLACK_BOT_TOKEN');
    expect(text).toContain('SLACK_SIGNING_SECRET');
    expect(text).toContain('REDIS_URL');
    expect(text).toContain('AUTOGEN_RUNTIMES');
    const socket = problemsOf(() => loadConfig({ SLACK_MODE: 'socket', SLACK_BOT_TOKEN: 'xoxb-1', REDIS_URL: 'redis://x:1' }, 'bot'));
    expect(socket.join('\n')).toContain('SLACK_APP_TOKEN');
  });

  it('is deeply frozen', () => {
    const c = loadConfig({ AUTOGEN_RUNTIMES: 'a=http://x', AUTOGEN_RUNTIME_A_TOKEN: 't' });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.slack)).toBe(true);
    expect(Object.isFrozen(c.runtimes.byName.a)).toBe(true);
    expect(() => { (c.slack as { port: number }).port = 1; }).toThrow(TypeError);
  });

  it('empty variables count as unset', () => {
    expect(loadConfig({ SLACK_BOT_TOKEN: '', REDIS_URL: '' }).slack.botToken).toBeUndefined();
  });
});
