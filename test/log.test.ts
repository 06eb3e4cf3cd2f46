import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, maskTokens } from '../src/log.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  return { lines, logger: createLogger({ log: { level: 'info' } }, stream) };
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
});
