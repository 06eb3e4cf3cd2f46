/**
 * A Prometheus-family daemon (Prometheus, Alertmanager) for integration tests: started on a loopback port
 * from its own temporary folder, ready when `GET /-/ready` answers 200, stopped by its PID (SIGTERM, then
 * SIGKILL after 5 s) with its folder removed. And any other process of a test's own (a redis-server, a
 * sentinel) with the tail of its output kept for a failure message (`spawnTailed`, `stopTailed`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { waitFor } from './poll.js';

/** A process of the test's own, the tail of its output kept (for a failure message). */
export interface TailedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolved once the process is gone. */
  readonly exited: Promise<void>;
  /** The last 4,000 characters it printed (and why it could not start). */
  log: string;
  alive(): boolean;
}

export function spawnTailed(binary: string, args: readonly string[]): TailedProcess {
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const p: TailedProcess = {
    child, pid: child.pid ?? -1, log: '', exited: new Promise((resolve) => child.once('exit', () => resolve())),
    // a process that never started (no pid) is not alive: nothing to signal
    alive: () => child.pid !== undefined && child.exitCode === null && child.signalCode === null,
  };
  const keep = (c: Buffer): void => { p.log = (p.log + c.toString()).slice(-4_000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  child.on('error', (err) => { p.log += `\ncannot start ${binary}: ${err.message}`; });
  return p;
}

/** `signal` (SIGTERM unless told) to the process by its PID, SIGKILL after 5 s; resolved once it is gone. */
export async function stopTailed(p: TailedProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!p.alive()) return;
  p.child.kill(signal);
  const timer = setTimeout(() => { if (p.alive()) p.child.kill('SIGKILL'); }, 5_000);
  await p.exited;
  clearTimeout(timer);
}

export interface LoopbackDaemon {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startLoopbackDaemon(opts: {
  name: string; binary: string; args: readonly string[]; port: number; dir: string; readyTimeoutMs: number;
}): Promise<LoopbackDaemon> {
  const child: ChildProcess = spawn(opts.binary, [...opts.args, `--web.listen-address=127.0.0.1:${opts.port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-2000); });
  const url = `http://127.0.0.1:${opts.port}`;
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`${opts.name} exited: ${stderr}`);
      try {
        return (await fetch(`${url}/-/ready`)).status === 200;
      } catch {
        return false;
      }
    }, { what: `${opts.name} ready`, timeoutMs: opts.readyTimeoutMs });
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(opts.dir, { recursive: true, force: true });
    throw err;
  }
  const pid = child.pid ?? -1;
  return {
    url,
    pid,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        process.kill(pid, 'SIGTERM');
        const timer = setTimeout(() => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }, 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(opts.dir, { recursive: true, force: true });
    },
  };
}
