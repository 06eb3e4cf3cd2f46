/**
 * A real Prometheus Alertmanager (Debian's `prometheus-alertmanager`) for integration tests: started on a
 * free loopback port with a webhook receiver pointing at our intake, clustering off, stopped by its PID.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLoopbackDaemon } from '../support/daemon.js';

export const ALERTMANAGER_BINARY = ['/usr/bin/prometheus-alertmanager', '/usr/bin/alertmanager'].find((p) => existsSync(p));

export interface LocalAlertmanager {
  readonly url: string;
  readonly pid: number;
  /** Posts alerts to `POST /api/v2/alerts` (as Prometheus does). */
  pushAlerts(alerts: readonly { labels: Record<string, string>; annotations?: Record<string, string>; startsAt: string; endsAt: string }[]): Promise<void>;
  stop(): Promise<void>;
}

export interface AlertmanagerOptions {
  port: number;
  webhookUrl: string;
  bearerToken: string;
  /** `max_alerts` of the webhook (0 = all). */
  maxAlerts: number;
  groupBy: readonly string[];
}

export async function startAlertmanager(opts: AlertmanagerOptions): Promise<LocalAlertmanager> {
  if (!ALERTMANAGER_BINARY) throw new Error('prometheus-alertmanager is not installed (apt-get install prometheus-alertmanager)');
  const dir = mkdtempSync(join(tmpdir(), 'autogen-ops-am-'));
  const config = [
    'route:',
    '  receiver: autogen-ops',
    `  group_by: [${opts.groupBy.map((l) => `'${l}'`).join(', ')}]`,
    '  group_wait: 200ms',
    '  group_interval: 1s',
    '  repeat_interval: 1h',
    'receivers:',
    '  - name: autogen-ops',
    '    webhook_configs:',
    `      - url: '${opts.webhookUrl}'`,
    '        send_resolved: true',
    `        max_alerts: ${opts.maxAlerts}`,
    '        http_config:',
    '          authorization:',
    '            type: Bearer',
    `            credentials: '${opts.bearerToken}'`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'alertmanager.yml'), config);
  const daemon = await startLoopbackDaemon({
    name: 'alertmanager', binary: ALERTMANAGER_BINARY, port: opts.port, dir, readyTimeoutMs: 20_000,
    args: [`--config.file=${join(dir, 'alertmanager.yml')}`, `--storage.path=${join(dir, 'data')}`, '--cluster.listen-address='],
  });
  const { url } = daemon;
  return {
    ...daemon,
    async pushAlerts(alerts) {
      const res = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alerts.map((a) => ({ ...a, annotations: a.annotations ?? {}, generatorURL: 'http://prometheus.local/graph' }))),
      });
      if (res.status !== 200) throw new Error(`alertmanager refused alerts: ${res.status} ${await res.text()}`);
    },
  };
}
