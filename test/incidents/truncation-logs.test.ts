/**
 * The reconcile back-off is an expected outcome, not a failure (issue 14): while Alertmanager does not answer,
 * a truncated group's `reconcile` job puts itself back (delayed, no attempt spent) — an info line for the
 * first miss, debug lines after, never a warning or a stack — and never lands in `failed`. A real worker
 * role (real Redis, the Slack sandbox) with its pino output captured.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { freePort } from '../../src/local/redis.js';
import { alertsJobs } from '../../src/incidents/jobs.js';
import { startWorkerRole, type WorkerRole } from '../../src/roles/worker.js';
import { testEnv } from '../support/bot.js';
import { waitFor } from '../support/poll.js';
import { startTestSandbox, type Sandbox } from '../support/sandbox.js';

interface LogLine { level: number; msg: string; err?: { stack?: string }; queue?: string; tries?: number }
const WARN = 40;

describe('a truncated group while Alertmanager is down, in the logs', () => {
  let sandbox: Sandbox;
  let worker: WorkerRole;
  const lines: LogLine[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { lines.push(JSON.parse(String(chunk)) as LogLine); cb(); } });

  beforeAll(async () => {
    sandbox = await startTestSandbox();
    const config = loadConfig(testEnv({
      sandbox,
      env: {
        LOG_LEVEL: 'debug', ALERT_CHANNEL: 'C0ALERTS', ALERT_AUTO_DIAGNOSE: 'false', ALERT_AUTO_PLAN: 'false', MONITOR_ENABLED: 'false',
        ALERTMANAGER_URL: `http://127.0.0.1:${await freePort()}`, ALERT_RECONCILE_RETRY_MS: '100', ALERT_RECONCILE_RETRY_MAX_MS: '400',
      },
    }));
    worker = startWorkerRole(config, createLogger({ log: { level: 'debug' } }, stream));
  });

  afterAll(async () => {
    await worker?.stop(2_000);
    await sandbox?.stop();
  });

  it('retries with back-off as debug lines without a stack, and never fails', async () => {
    const groupKey = '{}:{alertname="AutoGenAgentDown"}';
    const now = new Date();
    const alerts = ['a', 'b'].map((i) => ({
      source: 'alertmanager', kind: 'alertmanager' as const, fingerprint: `fp-${i}`, status: 'firing' as const,
      labels: { alertname: 'AutoGenAgentDown', runtime: 'prod', agent_type: 'ToolAgent', instance: i }, annotations: { summary: 'ToolAgent down' },
      startsAt: now.toISOString(), endsAt: null, generatorURL: null, groupKey,
    }));
    const queue = worker.deps.queues.get('alert');
    await queue.addBulk(alertsJobs(alerts, now, 3_600).map((j) => ({ name: j.name, data: j.data, opts: j.opts })));
    await waitFor(async () => (await queue.getJobs(['completed'])).length > 0, { what: 'alerts applied' });
    await worker.deps.queues.add('alert', {
      kind: 'reconcile', source: 'alertmanager', group_key: groupKey, receiver: 'autogen-ops', group_labels: { alertname: 'AutoGenAgentDown' },
      received_at: now.toISOString(), truncated: 98, tries: 0,
    });
    await waitFor(() => lines.filter((l) => l.msg === 'Alertmanager did not answer; the truncated group will be reconciled later').length >= 4, { what: 'four attempts', timeoutMs: 20_000 });

    const misses = lines.filter((l) => l.msg === 'Alertmanager did not answer; the truncated group will be reconciled later');
    expect(misses[0]!.level).toBe(30);
    expect(misses.slice(1).every((l) => l.level === 20)).toBe(true);
    const deferred = lines.filter((l) => l.msg === 'job deferred' && l.queue === 'alert');
    expect(deferred.length).toBeGreaterThanOrEqual(3);
    expect(deferred.every((l) => l.level === 20 && l.err === undefined)).toBe(true);
    expect(lines.filter((l) => l.level >= WARN)).toEqual([]);
    expect(JSON.stringify(lines)).not.toContain('"stack"');
    const failed = (await queue.getJobs(['failed'])).filter((j) => (j.data as { kind: string }).kind === 'reconcile');
    expect(failed).toEqual([]);
  });
});
