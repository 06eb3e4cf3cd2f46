/**
 * Property-based tests (fast-check) of the runbook loader (src/response/runbook-loader.ts): arbitrary
 * text, YAML-shaped noise (anchors, aliases, tags, merge keys, deep nesting) and mutations of the shipped
 * runbooks never throw out of `parseRunbook` — the answer is a runbook or located problems — and a bad
 * folder fails start-up only with `RUNBOOK_INVALID`. Valid runbooks roundtrip through YAML.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { isOpsError } from '../../src/errors.js';
import { loadRunbooksOrThrow } from '../../src/response/context.js';
import { formatProblem, parseRunbook } from '../../src/response/runbook-loader.js';

const RUNS = 60;
const SHIPPED = readdirSync('runbooks').filter((n) => n.endsWith('.yaml')).sort().map((n) => ({ name: n, text: readFileSync(join('runbooks', n), 'utf8') }));

/** Never a throw: a runbook, or at least one problem with a message and the file named. */
function expectAnswer(text: string, file = 'runbooks/fuzz.yaml'): void {
  let r: ReturnType<typeof parseRunbook>;
  try {
    r = parseRunbook(text, file);
  } catch (err) {
    throw new Error(`parseRunbook threw on ${JSON.stringify(text.slice(0, 300))}: ${(err as Error).stack ?? String(err)}`);
  }
  if (r.runbook) {
    expect(r.problems).toEqual([]);
    return;
  }
  expect(r.problems.length).toBeGreaterThan(0);
  for (const p of r.problems) {
    expect(typeof p.message).toBe('string');
    expect(formatProblem(p).startsWith(file)).toBe(true);
  }
}

/** YAML-shaped noise: keys of the schema, indentation, flow collections, anchors, aliases, tags, merges. */
const token = fc.constantFrom(
  'id: fuzz', 'title: x', 'scenario: s', 'risk: high', 'risk: [low]', 'match:', '  labels:', '    alertname: X', '  findings: [timeout]',
  'steps:', '  - action: isolate', '    target: incident_agent', '    target: { select: runtime }', '    params: { max_inflight: -1 }', '    temporary: yes',
  'approval:', '  groups: [S0SRE]', '  users: [U0A]', '  two_person: true', '  auto_run: true', 'verify:', '  checks:', '    - check: backpressured',
  'ttl_s: 1e309', 'ttl_s: .nan', 'ttl_s: 0x10', 'a: &x [1, 2]', 'b: *x', 'c: *undefined', '<<: *x', '<<: [*x, *x]', '!!binary aGVsbG8=', '!!set { a, b }',
  '!!omap [a: 1]', '!custom tag', '? complex key', ': value', '---', '...', '%YAML 1.2', '%TAG ! tag:x,2000:', '|', '>-', '"unterminated', "'q''uote'",
  '- ', '[', ']', '{', '}', ',', '#comment', '\t', '~', 'null', '__proto__: { polluted: true }', 'constructor: x', '@reserved', '`tick', '\u0000', '\ufeff',
);
const yamlNoise = fc.array(fc.tuple(fc.constantFrom('', '  ', '    ', '- '), token), { maxLength: 30 }).map((lines) => lines.map(([i, t]) => `${i}${t}`).join('\n'));

/** Alias expansion bombs and deep nesting: resource exhaustion must be a problem, not a crash. */
const hostileYaml = fc.oneof(
  fc.integer({ min: 2, max: 12 }).map((n) => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < n; i++) lines.push(`a${i}: &a${i} [${Array.from({ length: 10 }, () => `*a${i - 1}`).join(', ')}]`);
    return lines.join('\n');
  }),
  fc.integer({ min: 10, max: 1_000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.integer({ min: 10, max: 500 }).map((n) => Array.from({ length: n }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n')),
  fc.integer({ min: 1, max: 200 }).map((n) => `steps:\n${'  - action: isolate\n'.repeat(n)}`),
);

/** Replaces the value at a random path of a parsed runbook (a plausible author's mistake). */
function mutate(base: unknown, path: readonly number[], value: unknown): unknown {
  if (path.length === 0 || base === null || typeof base !== 'object') return value;
  const [i, ...rest] = path;
  if (Array.isArray(base)) return base.length === 0 ? value : base.map((v, j) => (j === i! % base.length ? mutate(v, rest, value) : v));
  const keys = Object.keys(base);
  if (keys.length === 0) return value;
  const key = keys[i! % keys.length]!;
  return { ...(base as Record<string, unknown>), [key]: mutate((base as Record<string, unknown>)[key], rest, value) };
}

describe('fuzz: runbook loader', () => {
  it('arbitrary text: a runbook or located problems, never a throw', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary', maxLength: 150 })), (text) => expectAnswer(text)), { numRuns: RUNS });
  });

  it('YAML-shaped noise (anchors, aliases, tags, merge keys, directives): never a throw', () => {
    fc.assert(fc.property(yamlNoise, (text) => expectAnswer(text)), { numRuns: RUNS });
  });

  it('alias bombs and deep nesting: a problem, never a throw', () => {
    fc.assert(fc.property(hostileYaml, (text) => expectAnswer(text)), { numRuns: 40 });
  });

  it('mutations of the shipped runbooks: a runbook or located problems, never a throw', () => {
    const value = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom('runtime', 'incident_agent', 'S0X', 'U0X', 'isolate', 'nuke', -1, 1e9, 0.5, null, [], {}));
    fc.assert(fc.property(fc.constantFrom(...SHIPPED), fc.array(fc.nat(), { minLength: 1, maxLength: 5 }), value, (rb, path, v) => {
      expectAnswer(stringify(mutate(parse(rb.text), path, v)), `runbooks/${rb.name}`);
    }), { numRuns: RUNS });
  });

  it('found by the fuzzer: an alias before its anchor and an alias bomb are problems, not exceptions', () => {
    expect(parseRunbook('b: *x', 'runbooks/x.yaml').problems[0]?.message).toBe('YAML aliases: Unresolved alias (the anchor must be set before the alias): x');
    const bomb = ['a0: &a0 [x, x, x]', 'a1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]', 'a2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]'].join('\n');
    expect(parseRunbook(bomb, 'runbooks/x.yaml').problems[0]?.message).toMatch(/^YAML aliases: Excessive alias count/);
  });

  it('a shipped runbook roundtrips: re-serialised, it parses to the same runbook', () => {
    fc.assert(fc.property(fc.constantFrom(...SHIPPED), (rb) => {
      const first = parseRunbook(rb.text, `runbooks/${rb.name}`);
      expect(first.problems).toEqual([]);
      const again = parseRunbook(stringify(first.runbook), `runbooks/${rb.name}`);
      expect(again.problems).toEqual([]);
      expect(again.runbook).toEqual(first.runbook);
    }), { numRuns: SHIPPED.length * 2 });
  });

  it('a folder with a bad file stops start-up with RUNBOOK_INVALID only', () => {
    fc.assert(fc.property(fc.oneof(yamlNoise, hostileYaml, fc.string({ maxLength: 200 })), (text) => {
      const dir = mkdtempSync(join(tmpdir(), 'runbooks-fuzz-'));
      try {
        writeFileSync(join(dir, 'fuzz.yaml'), text);
        try {
          loadRunbooksOrThrow(dir);
        } catch (err) {
          expect(isOpsError(err, 'RUNBOOK_INVALID'), String(err)).toBe(true);
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }), { numRuns: 30 });
  });
});
