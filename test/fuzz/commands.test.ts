/**
 * Property-based tests (fast-check) of the `/autogen` parser and dispatch (src/slack/commands): any text
 * either becomes a job whose payload its queue's schema accepts, or a coded error from the catalogue whose
 * ephemeral is bounded — nothing throws. Runs are bounded (numRuns) so the whole fuzz suite stays short;
 * on a failure fast-check prints the seed and the shrunk counterexample (replay with `{ seed, path }`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { ERRORS, isOpsError } from '../../src/errors.js';
import { AGENT_REF_RE } from '../../src/identifiers.js';
import { PAYLOADS } from '../../src/queues/payloads.js';
import { errorAckText, parseCommand, SUBCOMMANDS, tokenize } from '../../src/slack/commands/index.js';
import type { ParseResult } from '../../src/slack/commands/index.js';

const config = loadConfig({ AUTOGEN_RUNTIMES: 'prod=http://a;staging=http://b', AUTOGEN_RUNTIME_PROD_TOKEN: 'x', AUTOGEN_RUNTIME_STAGING_TOKEN: 'y', LOG_LEVEL: 'silent' });
const ctx = { config, user: 'U0FUZZ', channel: 'C0FUZZ', team: 'T0FUZZ', now: new Date('2026-01-01T00:00:00Z'), requestId: 'fuzz-trigger' };
const RUNS = 200;

const words = SUBCOMMANDS.flatMap((s) => [s.name, ...(s.aliases ?? [])]);
/** Slack-ish separators: spaces, tabs, newlines and the non-breaking space Slack clients insert. */
const sep = fc.constantFrom(' ', '  ', '\t', '\n', '\u00a0', ' \u00a0 ');
const hostile = fc.constantFrom('<!channel>', '<@U0ABC>', '`', '*bold*', '&lt;', '\u202e', '\u200b', 'a'.repeat(5_000), '../../etc/passwd', '%00', '\\', '"');
const word = fc.oneof(
  fc.stringMatching(/^[A-Za-z][\w.-]{0,24}$/),
  fc.stringMatching(AGENT_REF_RE),
  fc.constantFrom('prod', 'staging', 'nope', 'PROD', 'json', 'on', 'off', 'status', 'ERROR', 'WARNING', 'debug', '5m', '1h', '24h', '0s', '-1m', '99999999d', '1.5h'),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  hostile,
);
/** A subcommand word (random case) followed by 0..6 words, joined by random separators. */
const commandText = fc.tuple(fc.constantFrom(...words), fc.boolean(), fc.array(fc.tuple(sep, word), { maxLength: 6 }), sep)
  .map(([w, upper, rest, trailing]) => `${upper ? w.toUpperCase() : w}${rest.map(([s, x]) => `${s}${x}`).join('')}${trailing}`);
const anyText = fc.oneof(commandText, fc.string({ maxLength: 400 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.array(word, { maxLength: 8 }).map((ws) => ws.join(' ')));

function checkResult(text: string, r: ParseResult): void {
  if (!r.ok) {
    expect(isOpsError(r.error)).toBe(true);
    expect(Object.keys(ERRORS)).toContain(r.error.code);
    // what the user typed is echoed only as a bounded slice
    expect(errorAckText(r.error).length).toBeLessThan(2_000);
    return;
  }
  expect(typeof r.ack).toBe('string');
  expect(r.ack.length).toBeGreaterThan(0);
  if (r.job) {
    const parsed = PAYLOADS[r.job.queue].safeParse(r.job.payload);
    expect(parsed.success, `${r.job.queue} payload for ${JSON.stringify(text)}: ${parsed.success ? '' : parsed.error.message}`).toBe(true);
  }
}

describe('fuzz: /autogen parser and dispatch', () => {
  it('any text: a valid job or a coded, bounded error — never a throw', () => {
    fc.assert(fc.property(anyText, (text) => {
      checkResult(text, parseCommand(text, ctx));
    }), { numRuns: RUNS });
  });

  it('every subcommand with arbitrary arguments: a valid job or a coded error', () => {
    fc.assert(fc.property(commandText, (text) => {
      checkResult(text, parseCommand(text, ctx));
    }), { numRuns: RUNS });
  });

  it('tokenize: words carry no whitespace and re-joining them tokenizes to the same words', () => {
    fc.assert(fc.property(fc.array(fc.tuple(sep, word), { maxLength: 8 }), (parts) => {
      const text = parts.map(([s, w]) => `${s}${w}`).join('');
      const toks = tokenize(text);
      for (const t of toks) expect(t).not.toMatch(/[\s\u00a0]/);
      expect(tokenize(toks.join(' '))).toEqual(toks);
    }), { numRuns: RUNS });
  });

  it('diagnose <agent> <runtime> roundtrips: the job names exactly the agent and runtime typed', () => {
    fc.assert(fc.property(fc.stringMatching(AGENT_REF_RE), fc.constantFrom('prod', 'staging'), sep, (agent, runtime, s) => {
      const r = parseCommand(`diagnose${s}${agent}${s}${runtime}`, ctx);
      expect(r.ok).toBe(true);
      if (!r.ok || !r.job || r.job.queue !== 'diagnose') throw new Error('expected a diagnose job');
      expect(r.job.payload).toMatchObject({ agent, runtime, channel: ctx.channel, user: ctx.user });
    }), { numRuns: RUNS });
  });

  it('an unknown first word is COMMAND_UNKNOWN, whatever follows', () => {
    const unknown = fc.stringMatching(/^[a-z]{1,12}$/).filter((w) => !words.includes(w));
    fc.assert(fc.property(unknown, fc.array(word, { maxLength: 4 }), (w, rest) => {
      const r = parseCommand([w, ...rest].join(' '), ctx);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('COMMAND_UNKNOWN');
    }), { numRuns: RUNS });
  });
});
