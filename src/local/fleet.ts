/**
 * The bridge's demo AutoGen fleet as a child process (`python -m autogen_ops_bridge.demo`), for `make demo`,
 * tests and benchmarks. Waits for its JSON ready-line and stops it by its own PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface FleetOptions {
  /** Python with autogen_ops_bridge installed. */
  python: string;
  token: string;
  enableFaults?: boolean;
  /** e.g. `cascade:ChatAgent` */
  faults?: readonly string[];
  instances?: number;
  rate?: number;
  name?: string;
  /** The bridge's port (default: any free one); an application restarted on its port keeps its runtime URL. */
  port?: number;
  /** PEM certificate and key: the bridge serves HTTPS (`--ssl-certfile`, `--ssl-keyfile`). */
  tls?: { readonly certFile: string; readonly keyFile: string };
  /** The bridge's short window in seconds (`--recent-window-s`, default 60), which the monitor judges agents over. */
  recentWindowS?: number;
  readyTimeoutMs?: number;
  /** Where the fleet's stderr goes (default: discarded, last lines kept for errors). */
  onStderr?: (line: string) => void;
}

export interface LocalFleet {
  readonly url: string;
  readonly token: string;
  readonly pid: number;
  readonly name: string;
  stop(graceMs?: number): Promise<void>;
}

export async function startFleet(opts: FleetOptions): Promise<LocalFleet> {
  const name = opts.name ?? 'demo';
  const args = ['-m', 'autogen_ops_bridge.demo', '--host', '127.0.0.1', '--port', String(opts.port ?? 0), '--token', opts.token, '--name', name];
  if (opts.enableFaults || (opts.faults?.length ?? 0) > 0) args.push('--enable-faults');
  for (const f of opts.faults ?? []) args.push('--fault', f);
  if (opts.instances !== undefined) args.push('--instances', String(opts.instances));
  if (opts.rate !== undefined) args.push('--rate', String(opts.rate));
  if (opts.recentWindowS !== undefined) args.push('--recent-window-s', String(opts.recentWindowS));
  if (opts.tls) args.push('--ssl-certfile', opts.tls.certFile, '--ssl-keyfile', opts.tls.keyFile);
  const child: ChildProcess = spawn(opts.python, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => {
    tail.push(line);
    if (tail.length > 30) tail.shift();
    opts.onStderr?.(line);
  });
  const ready = await new Promise<{ url: string; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`demo fleet not ready within ${opts.readyTimeoutMs ?? 30_000} ms:\n${tail.join('\n')}`)); }, opts.readyTimeoutMs ?? 30_000);
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { ready?: boolean; url?: string; pid?: number };
        if (msg.ready && msg.url) {
          clearTimeout(timer);
          resolve({ url: msg.url, pid: msg.pid ?? child.pid ?? -1 });
        }
      } catch { /* not the ready line */ }
    });
    child.once('error', (err) => { clearTimeout(timer); reject(new Error(`cannot start the demo fleet with ${opts.python}: ${err.message} (run 'make deps')`)); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`demo fleet exited with ${code}:\n${tail.join('\n')}`)); });
  });
  const pid = child.pid ?? ready.pid;
  return {
    url: ready.url,
    token: opts.token,
    pid,
    name,
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
