/** The sandbox page's mrkdwn parser (sandbox/web/mrkdwn.js): text nodes only, links limited to safe schemes. */
import { describe, expect, it } from 'vitest';
import { nodesText, parseMrkdwn } from '../../sandbox/web/mrkdwn.js';

const names = { users: { U0DEMOALICE: 'alice' }, channels: { C0OPS: 'ops' }, groups: { S0AUTOGENSRE: 'autogen-sre' } };

describe('parseMrkdwn', () => {
  it('bold, italic, strike, code and code blocks', () => {
    expect(parseMrkdwn('*ChatAgent* is _slow_ ~ok~ `a*b` ```x\ny```')).toEqual([
      { t: 'b', children: [{ t: 'text', v: 'ChatAgent' }] },
      { t: 'text', v: ' is ' },
      { t: 'i', children: [{ t: 'text', v: 'slow' }] },
      { t: 'text', v: ' ' },
      { t: 's', children: [{ t: 'text', v: 'ok' }] },
      { t: 'text', v: ' ' },
      { t: 'code', v: 'a*b' },
      { t: 'text', v: ' ' },
      { t: 'pre', v: 'x\ny' },
    ]);
  });

  it('links show their label; mentions, channels and groups show names', () => {
    const nodes = parseMrkdwn('see <https://example.test/a?b=1&amp;c=2|the docs> by <@U0DEMOALICE> in <#C0OPS> for <!subteam^S0AUTOGENSRE> and <@U0NOBODY>', names);
    expect(nodes).toContainEqual({ t: 'link', href: 'https://example.test/a?b=1&c=2', label: 'the docs' });
    expect(nodesText(nodes)).toBe('see the docs by @alice in #ops for @autogen-sre and @U0NOBODY');
  });

  it('entities are decoded into text, never markup; unsafe link schemes become plain text', () => {
    const nodes = parseMrkdwn('&lt;script&gt;alert(1)&lt;/script&gt; <javascript:alert(1)|click>');
    expect(nodes.every((n) => n.t === 'text')).toBe(true);
    expect(nodesText(nodes)).toBe('<script>alert(1)</script> click');
  });

  it('lone markers and arithmetic stay as typed; dates show their fallback; emoji shortcodes become characters', () => {
    expect(nodesText(parseMrkdwn('5 * 3 * 2 = 30, snake_case_name'))).toBe('5 * 3 * 2 = 30, snake_case_name');
    expect(nodesText(parseMrkdwn('since <!date^1700000000^{time}|10:13>'))).toBe('since 10:13');
    expect(nodesText(parseMrkdwn(':white_check_mark: done :not_an_emoji:'))).toBe('✅ done :not_an_emoji:');
  });

  it('newlines become line breaks', () => {
    expect(parseMrkdwn('a\nb')).toEqual([{ t: 'text', v: 'a' }, { t: 'br' }, { t: 'text', v: 'b' }]);
  });
});
