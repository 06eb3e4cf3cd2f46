/** The CLI as a user runs it: `demo` end to end, `all` with graceful SIGTERM, and a bad configuration. */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { fleetPython } from '../support/fleet.js';
import { startTestSandbox, SANDBOX_BOT_TOKEN, SANDBOX_SIGNING_SECRET } from '../support/sandbox.js';
import { uniquePrefix } from '../support/bot.js';
import { waitFor } from '../support/poll.js';

function run(args: string[], env: Record<string, string>) {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve('src/cli.ts'), ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out: string[] = [];
  const err: string[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => out.push(l));
  createInterface({ input: child.stderr }).on('line', (l) => err.push(l));
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out, err, exit };
}

function gone(pid: number): boolean {
  try { process.kill(pid, 0); return false; } catch { return true; }
}

describe('cli', () => {
  it('demo (DEMO_ONCE=1): starts Redis, the faulty fleet, the sandbox and the bot, prints the posted report, stops everything', async () => {
    const p = run(['demo'], { AUTOGEN_OPS_PYTHON: fleetPython(), LOG_LEVEL: 'warn', DEMO_ONCE: '1' });
    const code = await p.exit;
    const text = p.out.join('\n');
    expect(code, `${text}\n${p.err.join('\n')}`).toBe(0);
    expect(text).toContain('$ /autogen diagnose ChatAgent');
    expect(text).toContain('ChatAgent on demo — Failing');
    expect(text).toContain('Cascading failure from RetrieverAgent');
    expect(text).toContain('[ Show logs ]');
    const pids = [...text.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]));
    expect(pids.length).toBe(2);
    for (const pid of pids) expect(gone(pid)).toBe(true);
  }, 90_000);

  it('all: serves commands and exits 0 on SIGTERM', async () => {
    const sandbox = await startTestSandbox();
    const p = run(['all'], {
      SLACK_BOT_TOKEN: SANDBOX_BOT_TOKEN, SLACK_SIGNING_SECRET: SANDBOX_SIGNING_SECRET, SLACK_API_URL: sandbox.apiUrl,
      REDIS_URL: inject('redisUrl'), QUEUE_PREFIX: uniquePrefix(), PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info',
      AUTOGEN_RUNTIMES: 'prod=http://127.0.0.1:9', AUTOGEN_RUNTIME_PROD_TOKEN: 't',
    });
    try {
      const started = await waitFor(() => p.out.map((l) => { try { return JSON.parse(l) as { msg?: string; port?: number }; } catch { return {}; } })
        .find((r) => r.msg === 'slack bot started'), { timeoutMs: 30_000, what: 'bot start log' });
      expect(sandbox.callsOf('auth.test')).toHaveLength(1); // identity resolved once at start-up
      const ack = await sandbox.sendCommand(`http://127.0.0.1:${started.port}/slack/events`, { text: 'help' });
      expect(String(ack.json?.text)).toContain('/autogen diagnose');
      expect(p.out.join('\n')).not.toContain(SANDBOX_BOT_TOKEN);
      p.child.kill('SIGTERM');
      expect(await p.exit).toBe(0);
    } finally {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await sandbox.stop();
    }
  }, 60_000);

  it('bot with nothing configured: exits 1 listing every missing variable', async () => {
    const p = run(['bot'], {});
    expect(await p.exit).toBe(1);
    const text = p.err.join('\n');
    expect(text).toContain('CONFIG_INVALID');
    for (const v of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'REDIS_URL']) expect(text).toContain(v);
  }, 30_000);
});
