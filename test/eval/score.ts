/**
 * Scoring, pure: one answer of the bot against what a senior SRE says is the truth of the case — verdict,
 * the guide's framework category of the probable cause, the origin named, the fix pointing at the right
 * thing, and never a memory leak where there is none.
 */
import type { Category } from '../../src/diagnosis/classify.js';
import type { Answer, Tool, Verdict } from './answers.js';

export interface Expectation {
  /** Acceptable verdicts (more than one only where the truth is genuinely between two). */
  readonly verdict: readonly Verdict[];
  /** Acceptable primary categories; omitted for a healthy answer (no category then). */
  readonly category?: readonly Category[];
  /** Names of which at least one must appear in the headline or probable cause (agent or dependency). */
  readonly origin?: readonly string[];
  /** What the fix must mention. */
  readonly fix?: RegExp;
  /**
   * What the answer must state (headline, probable cause or a check's summary, not its evidence), e.g. that
   * a team's runs are stopped by max turns while every check passes.
   */
  readonly mentions?: RegExp;
  /** The answer must not call it a memory leak (every case but the leak). */
  readonly noLeak?: boolean;
}

export interface Question {
  readonly tool: Tool;
  /** The agent asked about (`diagnose`): a type, or an AgentChat participant's name (its type's prefix). */
  readonly agent?: string;
  readonly expect: Expectation;
}

export interface Check {
  readonly name: 'verdict' | 'category' | 'origin' | 'fix' | 'mentions' | 'no leak';
  readonly ok: boolean;
}

export interface Scored {
  readonly question: Question;
  readonly answer: Answer | null;
  /** Why there is no answer (the app did not start, the condition was not reached, the bot threw). */
  readonly error?: string;
  readonly checks: readonly Check[];
  readonly ok: boolean;
}

const LEAK = /\bleak/i;

export function scoreAnswer(question: Question, answer: Answer): Scored {
  const e = question.expect;
  const checks: Check[] = [{ name: 'verdict', ok: e.verdict.includes(answer.verdict) }];
  checks.push({ name: 'category', ok: e.category ? answer.category !== null && e.category.includes(answer.category) : answer.category === null });
  if (e.origin) checks.push({ name: 'origin', ok: e.origin.some((o) => answer.cause.includes(o)) });
  if (e.fix) checks.push({ name: 'fix', ok: e.fix.test(answer.fix) });
  if (e.mentions) checks.push({ name: 'mentions', ok: e.mentions.test(answer.text) });
  if (e.noLeak) checks.push({ name: 'no leak', ok: !LEAK.test(answer.cause) });
  return { question, answer, checks, ok: checks.every((c) => c.ok) };
}

export function unanswered(question: Question, error: string): Scored {
  return { question, answer: null, error, checks: [], ok: false };
}

export function describeExpectation(q: Question): string {
  const e = q.expect;
  const parts = [e.verdict.join('|')];
  if (e.category) parts.push(e.category.join('|'));
  if (e.origin) parts.push(`names ${e.origin.join('|')}`);
  if (e.fix) parts.push(`fix ~ ${e.fix.source}`);
  if (e.mentions) parts.push(`says ~ ${e.mentions.source}`);
  if (e.noLeak) parts.push('no leak');
  return parts.join(', ');
}

export function describeAnswer(s: Scored): string {
  if (!s.answer) return `no answer: ${s.error ?? 'unknown'}`;
  const failed = s.checks.filter((c) => !c.ok).map((c) => c.name);
  const base = `${s.answer.verdict}, ${s.answer.category ?? 'no category'}`;
  return failed.length ? `${base} — wrong: ${failed.join(', ')} — "${oneLine(s.answer.cause, 160)}"` : base;
}

function oneLine(text: string, max: number): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

export interface CaseResult {
  readonly id: string;
  readonly title: string;
  readonly answers: readonly Scored[];
  readonly ok: boolean;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The matrix as a Markdown table (case, tool, expected, got, ok) and the score lines. */
export function formatMatrix(results: readonly CaseResult[]): string {
  const rows = ['| case | tool | expected | got | ok |', '|---|---|---|---|---|'];
  for (const r of results) {
    for (const s of r.answers) {
      const tool = s.question.agent ? `${s.question.tool} ${s.question.agent}` : s.question.tool;
      rows.push(`| ${cell(`${r.id}. ${r.title}`)} | ${cell(tool)} | ${cell(describeExpectation(s.question))} | ${cell(describeAnswer(s))} | ${s.ok ? '✅' : '❌'} |`);
    }
  }
  return [...rows, '', scoreLine(results)].join('\n');
}

export function scoreLine(results: readonly CaseResult[]): string {
  const answers = results.flatMap((r) => r.answers);
  return `${results.filter((r) => r.ok).length} of ${results.length} cases right (${answers.filter((a) => a.ok).length} of ${answers.length} answers)`;
}

/** One line per wrong answer, for a failing test's message. */
export function explainWrong(result: CaseResult): string[] {
  return result.answers.filter((s) => !s.ok).map((s) => `${result.id}. ${result.title} — ${s.question.tool}${s.question.agent ? ` ${s.question.agent}` : ''}: expected ${describeExpectation(s.question)}; got ${describeAnswer(s)}`);
}
