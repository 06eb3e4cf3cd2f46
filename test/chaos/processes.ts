/**
 * `src/cli.ts bot` and `src/cli.ts worker` as separate processes for the chaos suite, as an operator runs
 * them: each with its own environment, stopped (SIGTERM, then SIGKILL) or killed (SIGKILL) by its own PID.
 * Their log lines (stderr and stdout, JSON) are kept, the last ones shown when a scenario fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface RoleProcess {
  readonly role: 'bot' | 'worker';
  readonly name: string;
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Every log line so far (JSON from pino, or whatever the process printed). */
  readonly lines: string[];
  alive(): boolean;
  /** SIGKILL (no shutdown at all), resolved once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM (graceful), SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

export function spawnRole(role: 'bot' | 'worker', name: string, env: Record<string, string>): RoleProcess {
  const proc = spawn(process.execPath, ['--import', 'tsx', 'src/cli.ts', role], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const keep = (line: string): void => {
    lines.push(line);
    if (lines.length > 5_000) lines.splice(0, 1_000);
  };
  createInterface({ input: proc.stdout! }).on('line', keep);
  createInterface({ input: proc.stderr! }).on('line', keep);
  const alive = (): boolean => proc.exitCode === null && proc.signalCode === null;
  const gone = (): Promise<void> => new Promise((resolve) => { if (!alive()) resolve(); else proc.once('exit', () => resolve()); });
  return {
    role, name, proc, pid: proc.pid ?? -1, lines, alive,
    async kill() {
      if (!alive()) return;
      const exited = gone();
      process.kill(proc.pid!, 'SIGKILL');
      await exited;
    },
    async stop(graceMs = 10_000) {
      if (!alive()) return;
      const exited = gone();
      process.kill(proc.pid!, 'SIGTERM');
      const timer = setTimeout(() => { if (alive()) process.kill(proc.pid!, 'SIGKILL'); }, graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The last `n` log lines of each process, for a failure message. */
export function logTails(procs: readonly RoleProcess[], n = 6): string {
  return procs.map((p) => `--- ${p.name} (pid ${p.pid}${p.alive() ? '' : ', exited'})\n${p.lines.slice(-n).map((l) => l.slice(0, 400)).join('\n')}`).join('\n');
}
