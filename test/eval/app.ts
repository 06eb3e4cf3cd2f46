/**
 * One fault-matrix application (`eval/fault_apps`, Python) as a child process: started with a fresh token
 * on a free loopback port, ready when it prints its JSON ready line, stopped by its own PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** The directory holding the `fault_apps` package (kept out of the bridge's installed package). */
export const APPS_DIR = fileURLToPath(new URL('../../eval', import.meta.url));

export interface AppProcess {
  readonly app: string;
  readonly name: string;
  readonly url: string;
  readonly token: string;
  readonly pid: number;
  /** The last lines the application wrote on stderr (for a failure message). */
  stderrTail(): string;
  stop(graceMs?: number): Promise<void>;
}

export interface StartAppOptions {
  readonly python: string;
  /** Application name in `python -m fault_apps <app>`. */
  readonly app: string;
  /** Runtime name the bridge reports. */
  readonly name: string;
  readonly readyTimeoutMs?: number;
  /** Extra `PYTHONPATH` entries before the apps directory (e.g. another checkout's `bridge/src`). */
  readonly pythonPath?: readonly string[];
}

export async function startApp(opts: StartAppOptions): Promise<AppProcess> {
  const token = randomBytes(12).toString('hex');
  const pythonPath = [...(opts.pythonPath ?? []), APPS_DIR, ...(process.env.PYTHONPATH ? [process.env.PYTHONPATH] : [])].join(delimiter);
  const child: ChildProcess = spawn(opts.python, ['-m', 'fault_apps', opts.app, '--host', '127.0.0.1', '--port', '0', '--token', token, '--name', opts.name], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONPATH: pythonPath },
  });
  const tail: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
  });
  const timeoutMs = opts.readyTimeoutMs ?? 30_000;
  const ready = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${opts.app} not ready within ${timeoutMs} ms:\n${tail.join('\n')}`));
    }, timeoutMs);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { ready?: boolean; url?: string; pid?: number };
        if (msg.ready && msg.url) {
          clearTimeout(timer);
          resolve({ url: msg.url, pid: msg.pid ?? child.pid ?? -1 });
        }
      } catch { /* not the ready line */ }
    });
    child.once('error', (err) => { clearTimeout(timer); reject(new Error(`cannot start ${opts.app} with ${opts.python}: ${err.message}`)); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${opts.app} exited with ${code}:\n${tail.join('\n')}`)); });
  });
  const pid = child.pid ?? ready.pid;
  return {
    app: opts.app,
    name: opts.name,
    url: ready.url,
    token,
    pid,
    stderrTail: () => tail.join('\n'),
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}
