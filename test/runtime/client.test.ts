/** The bridge client against the real demo fleet, a closed port and a server that never answers. */
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeClient } from '../../src/runtime/client.js';
import { createBridges } from '../../src/runtime/index.js';
import { freePort } from '../../src/local/redis.js';
import { OpsError } from '../../src/errors.js';
import { errorAckText } from '../../src/slack/commands/index.js';
import { startTestFleet, type LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';

let fleet: LocalFleet;
let silent: Server;
let silentPort: number;

beforeAll(async () => {
  fleet = await startTestFleet({ name: 'clienttest' });
  silent = createServer(() => { /* accept and never answer: a hung bridge */ });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentPort = (silent.address() as AddressInfo).port;
}, 60_000);

afterAll(async () => {
  silent.close();
  await fleet.stop();
});

const timeouts = { connectMs: 500, requestMs: 800 };

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(OpsError);
    return (err as OpsError).code;
  }
  return 'no error';
}

describe('BridgeClient', () => {
  it('reads health, runtime, agents, one agent and logs with the bearer token', async () => {
    const c = new BridgeClient({ name: 'demo', url: fleet.url, token: fleet.token }, timeouts);
    expect((await c.health()).status).toBe('ok');
    const info = await c.runtime();
    expect(info.agent_types).toContain('ChatAgent');
    expect((await c.agents()).agents.map((a) => a.type)).toContain('PlannerAgent');
    expect((await c.agent('ChatAgent')).registered).toBe(true);
    expect(Array.isArray((await c.logs({ since: 60, limit: 10 })).records)).toBe(true);
    await c.close();
  });

  it('an unknown agent → AGENT_NOT_FOUND (permanent); a wrong token → RUNTIME_AUTH_FAILED (permanent)', async () => {
    const c = new BridgeClient({ name: 'demo', url: fleet.url, token: fleet.token }, timeouts);
    expect(await codeOf(c.agent('NoSuchAgent'))).toBe('AGENT_NOT_FOUND');
    const wrong = new BridgeClient({ name: 'demo', url: fleet.url, token: 'wrong' }, timeouts);
    expect(await codeOf(wrong.runtime())).toBe('RUNTIME_AUTH_FAILED');
    await Promise.all([c.close(), wrong.close()]);
  });

  it('a bad query answers with the bridge code → RUNTIME_REQUEST_REJECTED', async () => {
    const c = new BridgeClient({ name: 'demo', url: fleet.url, token: fleet.token }, timeouts);
    expect(await codeOf(c.logs({ limit: 999_999 }))).toBe('RUNTIME_REQUEST_REJECTED');
    await c.close();
  });

  it('temporary actions: listed with their expiry, reverted once (then gone), unknown ids gone for keep too', async () => {
    const c = new BridgeClient({ name: 'demo', url: fleet.url, token: fleet.token }, timeouts);
    const applied = await c.act('/v1/actions/isolate', { agent_type: 'ToolAgent', ttl_s: 600, reason: 'client test' }, `client-test-${Date.now()}`);
    expect(applied.applied).toBe(true);
    const id = applied.action_id as string;
    const active = await c.activeActions();
    expect(active.find((a) => a.action_id === id)).toMatchObject({ action: 'isolate', target: 'ToolAgent', expires_at: expect.any(String) });
    expect(await c.settle(id, 'revert')).toBe('done');
    expect((await c.activeActions()).map((a) => a.action_id)).not.toContain(id);
    expect(await c.settle(id, 'revert')).toBe('gone');
    expect(await c.settle('act_no_such_action', 'keep')).toBe('gone');
    const wrong = new BridgeClient({ name: 'demo', url: fleet.url, token: 'wrong' }, timeouts);
    expect(await codeOf(wrong.settle(id, 'keep'))).toBe('RUNTIME_AUTH_FAILED');
    await Promise.all([c.close(), wrong.close()]);
  });

  it('recent deliveries of one agent type carry their parent message id', async () => {
    const c = new BridgeClient({ name: 'demo', url: fleet.url, token: fleet.token }, timeouts);
    const page = await waitFor(async () => {
      const p = await c.messages({ agent: 'PlannerAgent', limit: 50 });
      return p.messages.some((m) => m.parent_id) ? p : undefined;
    }, { what: 'deliveries with a parent' });
    expect(page.messages.length).toBeLessThanOrEqual(50);
    expect(page.messages.find((m) => m.parent_id)?.parent_id).toEqual(expect.any(String));
    await c.close();
  });

  it('nothing listening → RUNTIME_UNREACHABLE, transient, reason "connection refused"', async () => {
    const c = new BridgeClient({ name: 'gone', url: `http://127.0.0.1:${await freePort()}`, token: 't' }, timeouts);
    const err = await c.health().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpsError);
    expect((err as OpsError).code).toBe('RUNTIME_UNREACHABLE');
    expect((err as OpsError).transient).toBe(true);
    expect((err as OpsError).details.reason).toBe('connection refused');
    await c.close();
  });

  it('a bridge that never answers → RUNTIME_UNREACHABLE with a timeout reason', async () => {
    const c = new BridgeClient({ name: 'hung', url: `http://127.0.0.1:${silentPort}`, token: 't' }, timeouts);
    const err = await c.health().catch((e: unknown) => e);
    expect((err as OpsError).code).toBe('RUNTIME_UNREACHABLE');
    expect(String((err as OpsError).details.reason)).toContain('no answer within 800 ms');
    await c.close();
  });

  it('a hostile bridge error message cannot ping the channel or inject links in the text users see', async () => {
    // The bridge's error text is attacker-influenced (agent exceptions, echoed input): a real HTTP server
    // answering like a compromised bridge.
    const hostile = createHttpServer((_req, res) => {
      res.writeHead(409, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'CONFLICT<!here>', message: `<!channel> <@U0ADMIN> see <http://evil.example|the fix> & ${'x'.repeat(5_000)}` } }));
    });
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
    const c = new BridgeClient({ name: 'hostile', url: `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`, token: 't' }, timeouts);
    try {
      const err = await c.runtime().catch((e: unknown) => e);
      expect((err as OpsError).code).toBe('RUNTIME_REQUEST_REJECTED');
      const shown = errorAckText(err as OpsError);
      for (const bad of ['<!channel>', '<!here>', '<@U0ADMIN>', '<http://evil.example']) expect(shown).not.toContain(bad);
      expect(shown).toContain('&lt;!channel&gt;');
      expect(shown.length).toBeLessThan(1_000);
      // the raw text stays in the details for the logs and the audit
      expect(String((err as OpsError).details.bridge_message)).toContain('<!channel>');
    } finally {
      await c.close();
      await new Promise<void>((r) => hostile.close(() => r()));
    }
  });

  it('bridgeFor: an unconfigured runtime name → RUNTIME_UNKNOWN', () => {
    const bridges = createBridges({ runtimes: { byName: {}, defaultName: undefined, timeoutMs: 1000, connectTimeoutMs: 100 } });
    expect(() => bridges.bridgeFor('prod')).toThrow(expect.objectContaining({ code: 'RUNTIME_UNKNOWN' }));
  });
});
