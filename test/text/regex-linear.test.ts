/**
 * Every regex over untrusted text is linear (docs/security.md). Two ways:
 *
 * 1. Every regular-expression literal in src/ and handlers/ (found with the TypeScript parser) runs over
 *    adversarial 60 kB inputs — long runs of one character or a short piece, each ending in a character
 *    that makes the match fail, the shape that makes `/x+$/` or `/(\w{1,200}): …/g` try every start
 *    position. A super-linear pattern takes seconds to minutes here, and the test times out.
 * 2. The functions that read exception and alert text (cascade parsing, error signals, dependency
 *    patterns, secret redaction, shortening, incident notes) run over 100 kB adversarial messages and
 *    still give the right answer.
 *
 * No timing assertion: the bound is the test's own timeout (10× the linear run).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { parseCascade } from '../../src/diagnosis/checks/cascade.js';
import { redactText } from '../../src/text/redact-secrets.js';
import { shorten } from '../../src/text/shorten.js';
import { trimTrailing, isDotOrSpace, withoutTrailingSlashes } from '../../src/text/trim.js';

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (p.endsWith('.ts')) out.push(p);
  }
  return out;
}

interface Literal { readonly where: string; readonly re: RegExp }

function regexLiterals(): Literal[] {
  const out: Literal[] = [];
  for (const file of [...sources('src'), ...sources('handlers')]) {
    const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (node: ts.Node): void => {
      if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
        const text = node.getText(sf);
        const m = /^\/(.*)\/([a-z]*)$/s.exec(text);
        if (m) {
          const line = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
          // `y` (sticky) would test one position only; drop it to try them all, as the worst case does
          out.push({ where: `${file}:${line} ${text.slice(0, 80)}`, re: new RegExp(m[1]!, m[2]!.replace('y', '')) });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return out;
}

const SIZE = 60_000;
const PIECES = ['a', ' ', '0', '.', ':', '-', '/', '<', '&', '"', "'", '\\', '\n', '\t', '@', '_', '=', '`', '*',
  'a ', 'a:', 'a.', 'a-', '0.', 'a=', 'aA', '<a', '{"a":', '\u200b', 'é', 'Error: ', 'x: dependency ', 'x: dependency a failed: '];
const ADVERSARIAL = PIECES.map((p) => `${p.repeat(Math.ceil(SIZE / p.length)).slice(0, SIZE)}!\u0000`);

describe('every regex literal in src/ and handlers/ is linear on adversarial input', () => {
  const literals = regexLiterals();

  it('finds the literals', () => {
    expect(literals.length).toBeGreaterThan(100);
  });

  it(`runs each of them over ${ADVERSARIAL.length} adversarial inputs of ${SIZE / 1000} kB`, () => {
    let runs = 0;
    for (const { where, re } of literals) {
      for (const input of ADVERSARIAL) {
        re.lastIndex = 0;
        const out = re.global ? input.replace(re, '') : re.exec(input);
        expect(out === null || typeof out === 'string' || Array.isArray(out), where).toBe(true);
        runs += 1;
      }
    }
    expect(runs).toBe(literals.length * ADVERSARIAL.length);
    // ~4 s here; one quadratic pattern (e.g. the `/[.\s]+$/` this replaced) takes minutes on these inputs
  }, 45_000);
});

describe('the readers of exception and alert text on 100 kB adversarial messages', () => {
  const long = (piece: string, n = 100_000) => piece.repeat(Math.ceil(n / piece.length)).slice(0, n);

  it('parseCascade: a long word, a run of hop-like fragments, and a real chain buried in noise', () => {
    expect(parseCascade('ChatAgent', `${long('a')}: upstream`)).toBeUndefined();
    expect(parseCascade('ChatAgent', `${long('a.a-')}!`)).toBeUndefined();
    expect(parseCascade('ChatAgent', long('x: dependency '))).toBeUndefined();
    const chain = parseCascade('ChatAgent', `${long('a')} ChatAgent: dependency PlannerAgent failed: PlannerAgent: dependency RetrieverAgent failed: TimeoutError: RetrieverAgent: upstream timeout ${long(' ', 1_000)}`);
    expect(chain).toEqual({ path: ['ChatAgent', 'PlannerAgent', 'RetrieverAgent'], originError: 'TimeoutError: upstream timeout' });
    // many hops in a row (each a real hop): one path entry per distinct consecutive agent
    const hops = long('A: dependency B failed: ', 100_000);
    expect(parseCascade('A', hops)?.path).toEqual(['A', 'B']);
  });

  it('parseCascade reads what the regex form read: names up to 200 characters, hops left to right', () => {
    const n200 = 'N'.repeat(200);
    expect(parseCascade('A', `A: dependency ${n200} failed: boom`)?.path).toEqual(['A', n200]);
    expect(parseCascade('A', `A: dependency ${n200}X failed: boom`)).toBeUndefined();
    expect(parseCascade('A', `: dependency B failed: boom`)).toBeUndefined();
    expect(parseCascade('A', `A: dependency B failed: B: dependency C failed: C: ValueError: bad`)).toEqual({ path: ['A', 'B', 'C'], originError: 'C: ValueError: bad' });
  });

  it('redaction and shortening finish on long secrets-like runs and keep their bound', () => {
    for (const piece of ['a', 'password=', 'sk-', 'https://u:', '=', ' ', 'Bearer ', 'xoxb-']) {
      const text = long(piece);
      const red = redactText(text);
      expect(typeof red).toBe('string');
      expect(red.length).toBeLessThanOrEqual(text.length + 1_000);
      expect(shorten(text, 300).length).toBeLessThanOrEqual(300);
    }
  });

  it('trimming that replaced /x+$/ patterns is linear and exact', () => {
    expect(trimTrailing(`${long(' ')}x${long('. ')}`, isDotOrSpace)).toBe(`${long(' ')}x`);
    expect(trimTrailing(long('. '), isDotOrSpace)).toBe('');
    expect(withoutTrailingSlashes(`${long('/')}a`)).toBe(`${long('/')}a`);
    expect(withoutTrailingSlashes('https://am.example/api///')).toBe('https://am.example/api');
  });
});
