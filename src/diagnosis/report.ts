/**
 * The `Report`: what every diagnosis (slash command, alert, monitor) produces and `src/slack/blocks`
 * renders. Plain data, JSON-serialisable.
 */

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface Check {
  /** Stable id, e.g. `registration`, `dependencies`, `performance`. */
  readonly id: string;
  /** Short human title, e.g. "Registration and factory". */
  readonly title: string;
  readonly status: CheckStatus;
  /** One line: what was found. */
  readonly summary: string;
  /** Facts behind it (values, error lines), most telling first. */
  readonly evidence: readonly string[];
  /** What to do about it, when not ok. */
  readonly suggestion?: string;
}

/** `healthy`: all ok; `degraded`: warnings only; `failing`: at least one check failed; `unreachable`: no data. */
export type Verdict = 'healthy' | 'degraded' | 'failing' | 'unreachable';

/** Seed taxonomy: which family of problem the probable cause belongs to. */
export type Category =
  | 'healthy'
  | 'agent_creation_failure'
  | 'dependency'
  | 'cascade'
  | 'permission'
  | 'timeout'
  | 'resources'
  | 'performance'
  | 'message_handling'
  | 'control_state'
  | 'runtime_unreachable'
  | 'not_registered';

export interface FollowUp {
  /** Feature-prefixed action id: `diag:logs`, `diag:recover`, `incident:…`, `plan:…`. */
  readonly action_id: string;
  readonly label: string;
  /** Compact JSON the action listener parses; must stay < 2,000 chars. */
  readonly value: string;
  readonly style?: 'primary' | 'danger';
}

export interface Report {
  readonly agent: string;
  readonly runtime: string;
  readonly verdict: Verdict;
  readonly category: Category;
  /** One sentence: the headline under the verdict. */
  readonly headline: string;
  readonly checks: readonly Check[];
  readonly probable_cause?: string;
  readonly next_steps: readonly string[];
  readonly follow_ups: readonly FollowUp[];
  /** ISO time the data was read. */
  readonly generated_at: string;
}

const RANK: Record<CheckStatus, number> = { ok: 0, warn: 1, fail: 2 };

export function worstStatus(checks: readonly Check[]): CheckStatus {
  return checks.reduce<CheckStatus>((w, c) => (RANK[c.status] > RANK[w] ? c.status : w), 'ok');
}

export function verdictOf(checks: readonly Check[]): Verdict {
  const worst = worstStatus(checks);
  return worst === 'fail' ? 'failing' : worst === 'warn' ? 'degraded' : 'healthy';
}
