/**
 * The `Report`: what every diagnosis (slash command, alert, monitor) produces and `src/slack/blocks`
 * renders. Plain data, JSON-serialisable. Its checks carry the guide's framework category and are
 * classified and laid out by `classify.ts`, like every guide report.
 */
import { worstStatus, type Category, type Classification, type GuideFlow, type Status } from './classify.js';

export type CheckStatus = Status;

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
  /** The guide's framework category of what the check looks at (of its problem, when not ok). */
  readonly category: Category;
  /**
   * Share (0..1) of the agent's failures this finding accounts for, when it explains them: a probable
   * cause is chosen by how well it explains the symptom before how low in the stack it sits.
   */
  readonly explains?: number;
}

/** `healthy`: all ok; `degraded`: warnings only; `failing`: at least one check failed; `unreachable`: no data. */
export type Verdict = 'healthy' | 'degraded' | 'failing' | 'unreachable';

export interface FollowUp {
  /** Feature-prefixed action id: `diag:logs`, `diag:recover`, `incident:…`, `plan:…`. */
  readonly action_id: string;
  readonly label: string;
  /** Compact JSON the action listener parses; must stay < 2,000 chars. */
  readonly value: string;
  readonly style?: 'primary' | 'danger';
}

export interface Report {
  /** The agent's registered type. */
  readonly agent: string;
  /** The name people use for it when that differs from the type (an AgentChat participant: `<team>/<name>`). */
  readonly label?: string;
  readonly runtime: string;
  readonly verdict: Verdict;
  /** The guide's framework category of the probable cause (`classify`); null when every check passed. */
  readonly classification: Classification | null;
  /** The guide's §1.2 flow: classify → collect → analyse → root cause → fix → verify, or escalate. */
  readonly flow: GuideFlow;
  /** One sentence: the headline under the verdict. */
  readonly headline: string;
  readonly checks: readonly Check[];
  readonly probable_cause?: string;
  readonly next_steps: readonly string[];
  readonly follow_ups: readonly FollowUp[];
  /** ISO time the data was read. */
  readonly generated_at: string;
}

export function verdictOf(checks: readonly Check[]): Verdict {
  const worst = worstStatus(checks.map((c) => c.status));
  return worst === 'fail' ? 'failing' : worst === 'warn' ? 'degraded' : 'healthy';
}
