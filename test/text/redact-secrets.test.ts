import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MASK, redactStrings, redactText, VALUE_RULES } from '../../src/text/redact-secrets.js';

interface Case { readonly rule: string | null; readonly input: string; readonly expected: string }

// The same cases as the bridge's tests (bridge/tests/test_redaction.py): both sides redact alike.
const CASES = (JSON.parse(readFileSync(new URL('../fixtures/redaction-cases.json', import.meta.url), 'utf8')) as { cases: Case[] }).cases;

describe('redaction by value: the cases shared with the bridge', () => {
  it.each(CASES.map((c) => [`${c.rule ?? 'untouched'}: ${c.input.slice(0, 40)}`, c] as const))('%s', (_name, c) => {
    expect(redactText(c.input)).toBe(c.expected);
    expect(redactText(c.expected)).toBe(c.expected); // a second pass changes nothing
  });

  it('cover every rule and name only known rules', () => {
    const named = new Set(CASES.map((c) => c.rule).filter((r): r is string => r !== null && r !== 'several'));
    expect([...named].sort()).toEqual(VALUE_RULES.map((r) => r.name).sort());
    expect(CASES.filter((c) => c.rule === null).length).toBeGreaterThanOrEqual(20);
  });

  it('every rule keeps a prefix, masks one group and keeps a suffix', () => {
    for (const r of VALUE_RULES) {
      // a pattern with three groups matches the empty alternative of a fourth: count them by matching nothing
      const groups = new RegExp(`${r.pattern.source}|`).exec('')?.length ?? 0;
      expect(groups - 1, r.name).toBe(3);
    }
  });
});

// Near-misses of one rule repeated to 40 kB: a pattern that backtracked across the repeats would do quadratic
// work on them. The filler must come out unchanged, and the secret after it be found.
const LONG = 40_000;
const FILLERS: Record<string, string> = {
  'pem markers': '-----BEGIN ',
  'public pem': '-----BEGIN RSA PUBLIC KEY-----\n',
  schemes: 'a://',
  'url without @': 'x://u:',
  colons: ':',
  'at signs': '@',
  'names without separator': 'password',
  'names with ==': 'password==',
  'names with spaced =': 'password= ',
  'empty quoted values': "'password': '",
  'unclosed JSON name': '"token',
  'auth schemes without token': 'Bearer ',
  'auth schemes with words': 'Basic abcdefgh ',
  'sk prefixes': 'sk-',
  'sk without digits': 'sk-abcdefghij',
  'jwt starts': 'eyJ',
  'jwt without payload': 'eyJaaaaa..',
  'slack-like': 'xox',
  'aws-like': 'AKIA',
  'github-like': 'gh_',
  letters: 'a',
  dashes: '-',
  quotes: "'",
  backslashes: '\\',
  'name runs': `${'x_'.repeat(40)}passwordx`,
};
const SECRET_TAIL = '\nurl: postgres://app:hunter2@db/app token=abc123';
const MASKED_TAIL = `\nurl: postgres://app:${MASK}@db/app token=${MASK}`;

describe('redaction of long adversarial input', () => {
  it.each(Object.entries(FILLERS))('40 kB of %s stay untouched and a secret after them is found', (_name, unit) => {
    const filler = unit.repeat(Math.ceil(LONG / unit.length)).slice(0, LONG);
    expect(redactText(filler)).toBe(filler);
    expect(redactText(filler + SECRET_TAIL)).toBe(filler + MASKED_TAIL);
  });

  it.each([
    ['connection urls', 'https://u:p@h/ ', `https://u:${MASK}@h/ `],
    ['query strings', 'apikey=v&sig=w&', `apikey=${MASK}&sig=${MASK}&`],
    ['jwts', 'eyJhbGciOi.eyJzdWIiOi.c2ln ', `eyJ${MASK} `],
    ['slack tokens', 'xoxb-0000000000 ', `xoxb-${MASK} `],
    ['quoted values', "'token': 'v', ", `'token': '${MASK}', `],
  ])('40 kB of %s are all masked', (_name, unit, masked) => {
    const count = Math.floor(LONG / unit.length);
    expect(redactText(unit.repeat(count))).toBe(masked.repeat(count));
  });

  it('a private key cut off before its end line is masked to the end', () => {
    expect(redactText(`-----BEGIN PRIVATE KEY-----\n${'MIIE-x+/=\n'.repeat(4000)}`)).toBe(`-----BEGIN PRIVATE KEY-----${MASK}`);
  });
});

describe('redactStrings (a parsed bridge answer)', () => {
  it('redacts every string, judges no key by its name, and copies only what changed', () => {
    const clean = { agent_key: 'default', error: 'timeout after 5s' };
    const answer = {
      max_tokens: 512,
      items: [clean, { agent_key: 'token', error: 'failed: postgres://app:hunter2@db/app' }],
      nested: { deeper: ['Authorization: Bearer abc123', null, true, 3] },
    };
    const out = redactStrings(answer);
    expect(out).toEqual({
      max_tokens: 512,
      items: [clean, { agent_key: 'token', error: `failed: postgres://app:${MASK}@db/app` }],
      nested: { deeper: [`Authorization: Bearer ${MASK}`, null, true, 3] },
    });
    expect(out.items[0]).toBe(clean);
    expect(answer.items[1]?.error).toBe('failed: postgres://app:hunter2@db/app'); // the input is not modified
    const untouched = { a: ['x', { b: 'y' }] };
    expect(redactStrings(untouched)).toBe(untouched);
  });
});
