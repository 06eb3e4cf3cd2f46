/**
 * A Prometheus-family daemon (Prometheus, Alertmanager) for integration tests: started on a loopback port
 * from its own temporary folder, ready when `GET /-/ready` answers 200, stopped by its PID (SIGTERM, then
 * SIGKILL after 5 s) with its folder removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { waitFor } from './poll.js';

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
