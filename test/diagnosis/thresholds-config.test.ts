import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { isOpsError } from '../../src/errors.js';
import { DEFAULT_THRESHOLDS, runtimeThresholdsVar, thresholdsFor } from '../../src/diagnosis/thresholds.js';

const runtimes = {
  AUTOGEN_RUNTIMES: 'prod=http://127.0.0.1:8700;staging=http://127.0.0.1:8701',
  AUTOGEN_RUNTIME_PROD_TOKEN: 'p-token',
  AUTOGEN_RUNTIME_STAGING_TOKEN: 's-token',
};

describe('thresholds in the configuration', () => {
  it('nothing configured: the guide\'s defaults for every runtime', () => {
    const config = loadConfig(runtimes);
    expect(thresholdsFor(config, 'prod')).toEqual(DEFAULT_THRESHOLDS);
    expect(DEFAULT_THRESHOLDS).toMatchObject({ avgResponseMs: 2000, memoryMb: 512, cpuPercent: 80, errorRate: 0.05, concurrencyRatio: 0.9, slowExternalMs: 1000, slowDatabaseMs: 500, leakSlopePerMin: 0.1, memoryPercent: 80, diskPercent: 80, messageLatencyMs: 100, backlog: 10, rarePatternCount: 3 });
  });

  it('AUTOGEN_THRESHOLDS changes the defaults; a runtime\'s own variable wins for that runtime', () => {
    const config = loadConfig({
      ...runtimes,
      AUTOGEN_THRESHOLDS: '{"avgResponseMs": 3000, "memoryMb": 1024}',
      [runtimeThresholdsVar('staging')]: '{"avgResponseMs": 5000}',
    });
    expect(thresholdsFor(config, 'prod')).toMatchObject({ avgResponseMs: 3000, memoryMb: 1024, cpuPercent: 80 });
    expect(thresholdsFor(config, 'staging')).toMatchObject({ avgResponseMs: 5000, memoryMb: 1024 });
    expect(Object.isFrozen(thresholdsFor(config, 'staging'))).toBe(true);
  });

  it('unknown names, bad values and bad JSON are reported together with the other problems', () => {
    try {
      loadConfig({
        ...runtimes,
        AUTOGEN_THRESHOLDS: '{"avgResponseMS": 3000}',
        AUTOGEN_RUNTIME_PROD_THRESHOLDS: '{"errorRate": 5}',
        AUTOGEN_RUNTIME_STAGING_THRESHOLDS: 'not json',
      });
      expect.unreachable('loadConfig accepted bad thresholds');
    } catch (err) {
      expect(isOpsError(err, 'CONFIG_INVALID')).toBe(true);
      const problems = (err as { details: { problems: string[] } }).details.problems;
      expect(problems.some((p) => p.startsWith('AUTOGEN_THRESHOLDS:') && p.includes('avgResponseMS'))).toBe(true);
      expect(problems.some((p) => p.startsWith('AUTOGEN_RUNTIME_PROD_THRESHOLDS: errorRate'))).toBe(true);
      expect(problems).toContain('AUTOGEN_RUNTIME_STAGING_THRESHOLDS: must be a JSON object such as {"avgResponseMs": 3000}');
    }
  });

  it('.env.example documents both variables', () => {
    const example = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
    expect(example).toMatch(/^AUTOGEN_THRESHOLDS=/m);
    expect(example).toMatch(/^AUTOGEN_RUNTIME_STAGING_THRESHOLDS=/m);
    const line = /^AUTOGEN_THRESHOLDS=(.*)$/m.exec(example)?.[1] ?? '';
    expect(() => loadConfig({ ...runtimes, AUTOGEN_THRESHOLDS: line })).not.toThrow();
  });
});

describe('docs/commands.md', () => {
  const doc = readFileSync(new URL('../../docs/commands.md', import.meta.url), 'utf8');

  it('documents every threshold with its default', () => {
    const rows = new Map<string, string>();
    for (const m of doc.matchAll(/^\| `(\w+)` \| ([\d.]+) \|/gm)) rows.set(m[1]!, m[2]!);
    expect([...rows.keys()].sort()).toEqual(Object.keys(DEFAULT_THRESHOLDS).sort());
    for (const [name, value] of Object.entries(DEFAULT_THRESHOLDS)) expect(Number(rows.get(name)), name).toBe(value);
  });

  it('has a section with an example report for every guide subcommand', async () => {
    const { SUBCOMMANDS } = await import('../../src/slack/commands/index.js');
    for (const name of ['health', 'perf', 'message', 'logs', 'trace', 'inspect', 'snapshot']) {
      const sub = SUBCOMMANDS.find((s) => s.name === name);
      expect(sub, name).toBeDefined();
      const start = doc.indexOf(`## \`/autogen ${sub!.usage}\``);
      expect(start, `section for ${sub!.usage}`).toBeGreaterThan(-1);
      const section = doc.slice(start, doc.indexOf('\n## ', start + 1));
      expect(section, name).toMatch(/```text\n(✅|⚠️|❌)/u);
    }
  });
});
