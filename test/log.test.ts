import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskTokens } from '../src/log.js';

function capture(config: Parameters<typeof createLogger>[0] = { log: { level: 'info' } }) {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  return { lines, logger: createLogger(config, stream) };
}

describe('log', () => {
  it('writes JSON with the job, agent and runtime fields of a child logger', () => {
    const { lines, logger } = capture();
    logger.child({ job_id: 'j1', agent: 'ChatAgent', runtime: 'prod' }).info('hello');
    const rec = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
    expect(rec).toMatchObject({ job_id: 'j1', agent: 'ChatAgent', runtime: 'prod', msg: 'hello', service: 'autogen-ops' });
  });

  it('redacts tokens and secrets by key, nested too', () => {
    const { lines, logger } = capture();
    logger.info({ token: 'xoxb-1', slack: { botToken: 'xoxb-2', signingSecret: 's3' }, headers: { authorization: 'Bearer abc' }, config: { runtimes: { token: 'rt' } } }, 'cfg');
    const out = lines.join('');
    for (const secret of ['xoxb-1', 'xoxb-2', 's3', 'Bearer abc']) expect(out).not.toContain(secret);
    expect(out).toContain('[redacted]');
  });

  it('masks token-shaped strings in error messages', () => {
    const { lines, logger } = capture();
    logger.error({ err: new Error('invalid_auth for xoxb-123-456-abcdef') }, 'boom');
    expect(lines.join('')).not.toContain('xoxb-123-456-abcdef');
    expect(maskTokens('use xapp-1-A0-xyz')).toBe('use xapp-[redacted]');
  });

  it('masks secret-shaped text of any kind in error messages and stacks', () => {
    const { lines, logger } = capture();
    logger.error({ err: new Error('connect postgres://app:hunter2@db/app?apikey=k-991 failed') }, 'boom');
    const out = lines.join('');
    for (const secret of ['hunter2', 'k-991']) expect(out).not.toContain(secret);
    expect(out).toContain('postgres://app:***@db/app?apikey=***');
  });
});

describe('log redaction of the configuration', () => {
  it('a whole Config or environment logged by mistake shows no secret: Slack tokens, signing secret, runtime bearer tokens, alert source secrets, Alertmanager token', async () => {
    const { loadConfig } = await import('../src/config.js');
    const env = {
      SLACK_BOT_TOKEN: 'xoxb-secret-bot', SLACK_SIGNING_SECRET: 'signing-secret-123', SLACK_APP_TOKEN: 'xapp-secret-app',
      AUTOGEN_RUNTIMES: 'prod=http://127.0.0.1:8700', AUTOGEN_RUNTIME_PROD_TOKEN: 'runtime-bearer-secret',
      ALERT_SOURCES: 'am=bearer:alert-source-secret-0123,gf=hmac:alert-hmac-key-456789', ALERT_CHANNEL: 'C0123ABCD',
      ALERTMANAGER_URL: 'http://127.0.0.1:9093', ALERTMANAGER_TOKEN: 'alertmanager-token-secret',
    };
    const config = loadConfig(env);
    const { lines, logger } = capture(config);
    logger.info({ config }, 'config');
    logger.info(config, 'config, spread');
    logger.info({ runtimes: config.runtimes, alerts: config.alerts }, 'sections');
    logger.info({ env }, 'env');
    const out = lines.join('');
    for (const secret of ['xoxb-secret-bot', 'signing-secret-123', 'xapp-secret-app', 'runtime-bearer-secret', 'alert-source-secret-0123', 'alert-hmac-key-456789', 'alertmanager-token-secret']) {
      expect(out, secret).not.toContain(secret);
    }
    expect(out).toContain('C0123ABCD'); // the rest is still logged
  });
});
