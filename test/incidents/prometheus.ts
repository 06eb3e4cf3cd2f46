/**
 * A real Prometheus (Debian's `prometheus` 2.42) for integration tests: on a free loopback port, scraping
 * one bridge's `/metrics` every second with its bearer token, evaluating the given rules every second and
 * sending to the given Alertmanager; stopped by its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../support/poll.js';

export const PROMETHEUS_BINARY = ['/usr/bin/prometheus'].find((p) => existsSync(p));

export interface LocalPrometheus {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  port: number;
  /** host:port of the bridge, its token and the `runtime` label of the target. */
  target: { readonly hostPort: string; readonly token: string; readonly runtime: string };
  /** host:port of the Alertmanager. */
  alertmanager: string;
  /** The rule file's text (YAML). */
  rules: string;
}

export async function startPrometheus(opts: PrometheusOptions): Promise<LocalPrometheus> {
  if (!PROMETHEUS_BINARY) throw new Error('prometheus is not installed (apt-get install prometheus)');
  const dir = mkdtempSync(join(tmpdir(), 'autogen-ops-prom-'));
  writeFileSync(join(dir, 'rules.yml'), opts.rules);
  writeFileSync(join(dir, 'prometheus.yml'), [
    'global:',
    '  scrape_interval: 1s',
    '  evaluation_interval: 1s',
    'rule_files:',
    `  - '${join(dir, 'rules.yml')}'`,
    'alerting:',
    '  alertmanagers:',
    '    - static_configs:',
    `        - targets: ['${opts.alertmanager}']`,
    'scrape_configs:',
    '  - job_name: autogen-bridge',
    '    authorization:',
    '      type: Bearer',
    `      credentials: '${opts.target.token}'`,
    '    static_configs:',
    `      - targets: ['${opts.target.hostPort}']`,
    '        labels:',
    `          runtime: '${opts.target.runtime}'`,
    '',
  ].join('\n'));
  const child: ChildProcess = spawn(PROMETHEUS_BINARY, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${opts.port}`,
    '--log.level=warn',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => { stderr = (stderr + c.toString()).slice(-2000); });
  const url = `http://127.0.0.1:${opts.port}`;
  try {
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited: ${stderr}`);
      try {
        return (await fetch(`${url}/-/ready`)).status === 200;
      } catch {
        return false;
      }
    }, { what: 'prometheus ready', timeoutMs: 30_000 });
  } catch (err) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
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
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
