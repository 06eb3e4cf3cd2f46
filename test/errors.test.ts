import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS, OpsError, type ErrorCode } from '../src/errors.js';

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
const rows = new Map<string, string[]>();
for (const line of doc.split('\n')) {
  const m = /^\|\s*`([A-Z0-9_]+)`\s*\|(.*)\|\s*$/.exec(line);
  if (m?.[1] && m[2] !== undefined) rows.set(m[1], m[2].split(/(?<!\\)\|/).map((c) => c.trim()));
}

describe('error catalogue and docs/errors.md', () => {
  it('documents exactly the codes of src/errors.ts', () => {
    expect([...rows.keys()].sort()).toEqual(Object.keys(ERRORS).sort());
  });

  it.each(Object.keys(ERRORS) as ErrorCode[])('%s: documented message, transient flag and HTTP status match', (code) => {
    const spec: { message: string; transient: boolean; httpStatus?: number } = ERRORS[code];
    const row = rows.get(code);
    expect(row).toBeDefined();
    const [http, transient, message] = row ?? [];
    expect(http).toBe(spec.httpStatus === undefined ? '—' : String(spec.httpStatus));
    expect(transient).toBe(spec.transient ? 'yes' : 'no');
    expect(message).toBe(spec.message);
  });

  it('every entry says what to do', () => {
    for (const [code, spec] of Object.entries(ERRORS)) {
      expect(spec.hint.length, code).toBeGreaterThan(10);
    }
  });

  it('OpsError carries code, transient flag and a user text with the hint', () => {
    const err = new OpsError('RUNTIME_UNREACHABLE', { runtime: 'prod' });
    expect(err.code).toBe('RUNTIME_UNREACHABLE');
    expect(err.transient).toBe(true);
    expect(err.userText()).toContain(ERRORS.RUNTIME_UNREACHABLE.hint);
    expect(err.toJSON().details).toEqual({ runtime: 'prod' });
  });
});
