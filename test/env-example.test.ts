/**
 * `.env.example` lists every variable the configuration reads: the keys of the zod env schemas in
 * `src/config.ts` (and the sections it spreads in) and every `env.X` / `env['X']` it looks up.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';

const read = (rel: string): string => readFileSync(new URL(`../${rel}`, import.meta.url), 'utf8');

/** The files whose env schemas `loadConfig` reads. */
const CONFIG_FILES = ['src/config.ts', 'src/response/settings.ts', 'src/diagnosis/thresholds.ts'];

function envKeysOf(source: string): Set<string> {
  const keys = new Set<string>();
  for (const m of source.matchAll(/^\s+([A-Z][A-Z0-9_]{2,}): (?:z\.|int\(|bool\b|labelList\b)/gm)) keys.add(m[1]!);
  for (const m of source.matchAll(/\b(?:env|cleaned)(?:\.([A-Z][A-Z0-9_]{2,})\b|\[['"]([A-Z][A-Z0-9_]{2,})['"]\])/g)) keys.add((m[1] ?? m[2])!);
  return keys;
}

/** Variables named in `.env.example`, set or commented out (`# NAME=…`). */
function exampleKeys(text: string): Set<string> {
  return new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]!));
}

describe('.env.example', () => {
  const example = read('.env.example');
  const documented = exampleKeys(example);
  const read_ = new Set(CONFIG_FILES.flatMap((f) => [...envKeysOf(read(f))]));

  it('the parser finds the configuration\'s variables (a guard against a regex that matches nothing)', () => {
    for (const k of ['SLACK_BOT_TOKEN', 'REDIS_URL', 'AUTOGEN_RUNTIMES', 'ALERT_SOURCES', 'RUNBOOKS_DIR', 'AUTOGEN_THRESHOLDS']) expect(read_).toContain(k);
  });

  it('lists every variable src/config.ts reads', () => {
    expect([...read_].filter((k) => !documented.has(k)).sort()).toEqual([]);
  });

  it('documents the per-runtime variables by pattern and its own values load', () => {
    expect(example).toContain('AUTOGEN_RUNTIME_<NAME>_TOKEN');
    expect(example).toContain('AUTOGEN_RUNTIME_<NAME>_THRESHOLDS');
    const env: Record<string, string> = {};
    for (const m of example.matchAll(/^([A-Z][A-Z0-9_]+)=(.*)$/gm)) env[m[1]!] = m[2]!;
    expect(() => loadConfig(env)).not.toThrow();
  });
});
