/**
 * The bot's side of the bridge door (docs/security.md): every response body is read with a bound
 * (RUNTIME_RESPONSE_TOO_LARGE, also for a body that never ends), and `https://` runtime URLs work with a
 * configured CA file (BRIDGE_CA_FILE) against the real bridge serving TLS with a certificate made here.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { OpsError } from '../../src/errors.js';
import { ALERTMANAGER_MAX_RESPONSE_BYTES, fetchGroupAlerts } from '../../src/incidents/reconcile.js';
import { BridgeClient } from '../../src/runtime/client.js';
import { createBridges } from '../../src/runtime/index.js';
import { startTestFleet, type LocalFleet } from '../support/fleet.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(OpsError);
    return (err as OpsError).code;
  }
  return 'no error';
}

describe('response bodies are bounded', () => {
  let server: Server;
  let url: string;
  let endless = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url?.startsWith('/declared')) {
        // an honest Content-Length over the bound: refused before reading
        const body = Buffer.alloc(200 * 1024, 0x20);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
        res.end(body);
        return;
      }
      // chunked and never ending: a hostile or broken peer
      endless += 1;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[');
      const chunk = `${'"x",'.repeat(4096)}`;
      const pump = (): void => {
        while (res.write(chunk)) { /* fill the socket buffer */ }
        res.once('drain', pump);
      };
      pump();
      req.socket.once('close', () => res.destroy());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('a bridge answer over BRIDGE_MAX_RESPONSE_BYTES is RUNTIME_RESPONSE_TOO_LARGE, declared or endless', async () => {
    const c = new BridgeClient({ name: 'big', url: `${url}/declared`, token: 't' }, { connectMs: 1_000, requestMs: 20_000, maxResponseBytes: 64 * 1024 });
    const e = new BridgeClient({ name: 'big', url: `${url}/endless`, token: 't' }, { connectMs: 1_000, requestMs: 20_000, maxResponseBytes: 64 * 1024 });
    try {
      expect(await codeOf(c.agents())).toBe('RUNTIME_RESPONSE_TOO_LARGE');
      // without the bound this read would go on until the 20 s deadline (RUNTIME_UNREACHABLE)
      const err = await e.agents().catch((x: unknown) => x as OpsError);
      expect(err).toBeInstanceOf(OpsError);
      expect((err as OpsError).code).toBe('RUNTIME_RESPONSE_TOO_LARGE');
      expect((err as OpsError).details).toMatchObject({ runtime: 'big', limit_bytes: 64 * 1024 });
      expect(endless).toBeGreaterThan(0);
    } finally {
      await c.close();
      await e.close();
    }
  });

  it('the default bound is 8 MiB and is configurable', () => {
    expect(loadConfig({}).runtimes.maxResponseBytes).toBe(8 * 1024 * 1024);
    expect(loadConfig({ BRIDGE_MAX_RESPONSE_BYTES: '1048576' }).runtimes.maxResponseBytes).toBe(1024 * 1024);
  });

  it('Alertmanager\'s API answer is bounded too', async () => {
    expect(ALERTMANAGER_MAX_RESPONSE_BYTES).toBe(16 * 1024 * 1024);
    expect(await codeOf(fetchGroupAlerts(`${url}/endless`, undefined, { alertname: 'x' }, 'r', 60_000))).toBe('ALERTMANAGER_RESPONSE_TOO_LARGE');
  });
});

describe('https runtime URLs with BRIDGE_CA_FILE', () => {
  let dir: string;
  let fleet: LocalFleet;
  let caFile: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bridge-tls-'));
    caFile = join(dir, 'bridge.crt');
    const keyFile = join(dir, 'bridge.key');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', caFile], { stdio: 'ignore', timeout: 60_000 });
    fleet = await startTestFleet({ name: 'tlsfleet', rate: 0, tls: { certFile: caFile, keyFile } });
  }, 90_000);
  afterAll(async () => {
    await fleet?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('the bridge serves https; the bot trusts it through the CA file, and only then', async () => {
    expect(fleet.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const env = { AUTOGEN_RUNTIMES: `tls=${fleet.url}`, AUTOGEN_RUNTIME_TLS_TOKEN: fleet.token };
    const trusting = createBridges(loadConfig({ ...env, BRIDGE_CA_FILE: caFile }));
    const untrusting = createBridges(loadConfig(env));
    try {
      expect((await trusting.bridgeFor('tls').health()).status).toBe('ok');
      expect((await trusting.bridgeFor('tls').agents()).agents.length).toBeGreaterThan(0);
      // a certificate the system does not trust: the TLS handshake fails, reported as unreachable
      expect(await codeOf(untrusting.bridgeFor('tls').health())).toBe('RUNTIME_UNREACHABLE');
    } finally {
      await trusting.close();
      await untrusting.close();
    }
  });

  it('an unreadable or non-PEM CA file is a configuration error naming BRIDGE_CA_FILE', () => {
    const notPem = join(dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    for (const path of [join(dir, 'missing.pem'), notPem]) {
      const config = loadConfig({ AUTOGEN_RUNTIMES: 'x=https://127.0.0.1:1', AUTOGEN_RUNTIME_X_TOKEN: 't', BRIDGE_CA_FILE: path });
      let err: unknown;
      try { createBridges(config); } catch (e) { err = e; }
      expect(err).toBeInstanceOf(OpsError);
      expect(JSON.stringify((err as OpsError).details)).toContain('BRIDGE_CA_FILE');
    }
  });
});
