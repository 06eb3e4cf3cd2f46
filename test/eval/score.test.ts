/**
 * The fault matrix's scoring, pure: the `mentions` matcher reads what the answer states (headline, probable
 * cause, each check's summary), so a healthy answer that says its team's runs are stopped by max turns is
 * told from one that does not.
 */
import { describe, expect, it } from 'vitest';
import type { Answer } from './answers.js';
import { describeExpectation, scoreAnswer, type Question } from './score.js';

const question: Question = { tool: 'diagnose', agent: 'reviewer', expect: { verdict: ['healthy'], mentions: /max(imum)?[ _]turns/i, noLeak: true } };

function answer(text: string): Answer {
  return { tool: 'diagnose', verdict: 'healthy', category: null, cause: 'reviewer is healthy: every check passed.', fix: '', text };
}

describe('scoring what an answer mentions', () => {
  it('is right when a summary says the runs are stopped by max turns', () => {
    const scored = scoreAnswer(question, answer('reviewer is healthy\nTeam copy_desk stopped by max turns in 44 of 75 runs.'));
    expect(scored.checks).toContainEqual({ name: 'mentions', ok: true });
    expect(scored.ok).toBe(true);
  });

  it('is wrong when the answer never says it', () => {
    const scored = scoreAnswer(question, answer('reviewer is healthy\nTools, model calls and team runs show no failure.'));
    expect(scored.checks).toContainEqual({ name: 'mentions', ok: false });
    expect(scored.ok).toBe(false);
  });

  it('shows the matcher in the expected column', () => {
    expect(describeExpectation(question)).toBe('healthy, says ~ max(imum)?[ _]turns, no leak');
  });
});
