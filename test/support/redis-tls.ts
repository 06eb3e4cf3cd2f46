/**
 * A Redis server that speaks only TLS, on loopback, for tests: a throw-away CA, a server certificate for
 * 127.0.0.1 and a client certificate, all made with `openssl` in a temporary folder; Debian's
 * `redis-server --port 0 --tls-port P …` with that CA. `authClients` is Redis's `tls-auth-clients`
 * (`yes`: a client must present a certificate the CA signed). Stopped by PID, folder removed.
 *
 *   const r = await startTlsRedis();
 *   env.REDIS_URL = r.url;                  // rediss://127.0.0.1:P
 *   env.REDIS_TLS_CA_FILE = r.caFile;
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/local/redis.js';
import { waitFor } from './poll.js';

export interface TlsRedis {
  /** `rediss://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** PEM files: the CA, and a client certificate + key it signed. */
  readonly caFile: string;
  readonly clientCertFile: string;
  readonly clientKeyFile: string;
  stop(): Promise<void>;
}

function openssl(dir: string, args: readonly string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8', timeout: 20_000 });
  if (r.status !== 0) throw new Error(`openssl ${args.slice(0, 2).join(' ')} failed: ${r.stderr || r.error?.message}`);
}

/**
 * A CA and two certificates it signed, EC P-256, valid 2 days: the server's (IP 127.0.0.1 and localhost; also
 * usable as a client certificate, as Cluster nodes present theirs to each other on the bus) and a client's.
 */
export function makeTestCertificates(dir: string): { ca: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string } {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(dir, ['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=autogen-ops test CA']);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const who of ['server', 'client']) {
    openssl(dir, ['req', ...ec, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=autogen-ops test ${who}`]);
    openssl(dir, ['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.pem`, '-days', '2', '-extfile', `${who}.ext`]);
  }
  return {
    ca: join(dir, 'ca.pem'), serverCert: join(dir, 'server.pem'), serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'), clientKey: join(dir, 'client.key'),
  };
}

export async function startTlsRedis(opts: { authClients?: 'yes' | 'no' | 'optional'; readyTimeoutMs?: number; binary?: string } = {}): Promise<TlsRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'autogen-ops-redis-tls-'));
  let log = '';
  let child: ChildProcess | undefined;
  try {
    const certs = makeTestCertificates(dir);
    const port = await freePort();
    child = spawn(opts.binary ?? 'redis-server', [
      '--port', '0', '--tls-port', String(port), '--bind', '127.0.0.1', '--dir', dir,
      '--tls-cert-file', certs.serverCert, '--tls-key-file', certs.serverKey, '--tls-ca-cert-file', certs.ca,
      '--tls-auth-clients', opts.authClients ?? 'no',
      '--appendonly', 'no', '--save', '', '--maxmemory-policy', 'noeviction', '--protected-mode', 'yes',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (c: Buffer): void => { log = (log + c.toString()).slice(-4_000); };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const proc = child;
    const alive = (): boolean => proc.exitCode === null && proc.signalCode === null;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    await waitFor(() => {
      if (!alive()) throw new Error(`redis-server (TLS) exited: ${log.slice(-500)}`);
      return log.includes('Ready to accept connections');
    }, { what: 'redis-server (TLS) ready', timeoutMs: opts.readyTimeoutMs ?? 10_000, intervalMs: 50 });
    const pid = proc.pid ?? -1;
    return {
      url: `rediss://127.0.0.1:${port}`, port, pid,
      caFile: certs.ca, clientCertFile: certs.clientCert, clientKeyFile: certs.clientKey,
      async stop() {
        if (alive()) {
          process.kill(pid, 'SIGTERM');
          const timer = setTimeout(() => { if (alive()) process.kill(pid, 'SIGKILL'); }, 5_000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    child?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
