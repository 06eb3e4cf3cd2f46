import { describe, expect, it } from 'vitest';
import { JOINER, mrkdwnSafe, plainSafe, plainSafeLine } from '../../src/slack/blocks/incident-text.js';
import { isWellFormed } from '../../src/text/shorten.js';

describe('untrusted alert text for Slack', () => {
  const hostile = '<!channel> <!here|here> @here @channel <@U123> <https://evil.example|click me> *bold* `code` ~x~ \u202Eevil\u0007';

  it('mrkdwn: no control sequence, mention or link can form', () => {
    const out = mrkdwnSafe(hostile, 1000);
    expect(out).not.toMatch(/[<>]/);
    expect(out).toContain('&lt;!');
    expect(out).not.toMatch(/@(here|channel)/);
    expect(out).toContain(`@${JOINER}here`);
    expect(out).not.toContain('\u202E');
    expect(out).not.toContain('\u0007');
  });

  it('plain text: mention and control starters are broken, bidi overrides dropped', () => {
    const out = plainSafe(hostile, 1000);
    expect(out).not.toMatch(/<[!@#]/);
    expect(out).not.toMatch(/@(here|channel|U123)/);
    expect(out).not.toMatch(/!(channel|here)/);
    expect(out).not.toContain('\u202E');
  });

  it('escapes before shortening never cuts an entity in half', () => {
    const out = mrkdwnSafe('&'.repeat(50), 10);
    expect(out).toMatch(/^(&amp;)+…$/);
  });

  it('10 KB of Chinese text is shortened within the limit and stays valid UTF-8', () => {
    const text = '智能体运行时出现故障，请检查依赖服务。'.repeat(600);
    expect(Buffer.byteLength(text)).toBeGreaterThan(10_000);
    const out = plainSafe(text, 2900);
    expect(out.length).toBeLessThanOrEqual(2900);
    expect(isWellFormed(out)).toBe(true);
    expect(Buffer.from(out, 'utf8').toString('utf8')).toBe(out);
    expect(plainSafeLine('a\n\n b\t c', 100)).toBe('a b c');
  });
});
