import { describe, expect, it } from 'vitest';
import { truncate } from '../../src/slack/blocks/limits.js';
import { isWellFormed } from '../../src/text/shorten.js';

describe('truncate', () => {
  it('never splits a surrogate pair or an emoji sequence', () => {
    const family = '👨‍👩‍👧';
    const text = `${'a'.repeat(9)}${family}${'b'.repeat(20)}`;
    const cut = truncate(text, 12);
    expect(cut.length).toBeLessThanOrEqual(12);
    expect(isWellFormed(cut)).toBe(true);
    expect(cut).toBe(`${'a'.repeat(9)}…`);
  });

  it('leaves text that fits unchanged', () => {
    expect(truncate('短い', 10)).toBe('短い');
  });
});
