/**
 * A throw-away Redis server on loopback, for the embedded defaults (`make demo`), tests and benchmarks.
 * Started from Debian's `redis-server` on a free port with no persistence, and stopped by its own PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LocalRedis {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Stops this server (SIGTERM to its PID, SIGKILL after `graceMs`) and removes its working folder. */
  stop(graceMs?: number): Promise<void>;
}

/** Asks the kernel for a free loopback TCP port. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function waitForReady(child: ChildProcess, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not become ready within ${timeoutMs} ms: ${out.slice(-500)}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with code ${code}: ${out.slice(-500)}`));
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot start redis-server (is Debian's redis-server installed? run 'make deps'): ${err.message}`));
    });
  });
}

/**
 * Starts `redis-server` on a free loopback port (or `port`), `noeviction` as BullMQ requires. With
 * `persistDir` it keeps an AOF there (`appendfsync always`, kept after `stop()`), so a server started
 * again on the same port and folder has every acknowledged write (the chaos suite's Redis restart).
 */
export async function startLocalRedis(opts: { port?: number; binary?: string; readyTimeoutMs?: number; persistDir?: string } = {}): Promise<LocalRedis> {
  const port = opts.port ?? (await freePort());
  const dir = opts.persistDir ?? mkdtempSync(join(tmpdir(), 'autogen-ops-redis-'));
  const persistence = opts.persistDir ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const child = spawn(
    opts.binary ?? 'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir,
      '--maxmemory-policy', 'noeviction', '--protected-mode', 'yes'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    await waitForReady(child, opts.readyTimeoutMs ?? 10_000);
  } catch (err) {
    child.kill('SIGKILL');
    if (!opts.persistDir) rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  child.stdout?.resume();
  child.stderr?.resume();
  const pid = child.pid ?? -1;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid,
    async stop(graceMs = 5_000) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        process.kill(pid, 'SIGTERM');
        const timer = setTimeout(() => { try { process.kill(pid, 'SIGKILL'); } catch { /* already gone */ } }, graceMs);
        await exited;
        clearTimeout(timer);
      }
      if (!opts.persistDir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
