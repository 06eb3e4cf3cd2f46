/**
 * A real Prometheus (Debian's `prometheus` 2.42) for integration tests: on a free loopback port, scraping
 * one bridge's `/metrics` every second with its bearer token, evaluating the given rules every second and
 * sending to the given Alertmanager; stopped by its PID.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackDaemon, type LoopbackDaemon } from '../support/daemon.js';

export const PROMETHEUS_BINARY = ['/usr/bin/prometheus'].find((p) => existsSync(p));

export type LocalPrometheus = LoopbackDaemon;

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
  return startLoopbackDaemon({
    name: 'prometheus', binary: PROMETHEUS_BINARY, port: opts.port, dir, readyTimeoutMs: 30_000,
    args: [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`],
  });
}
