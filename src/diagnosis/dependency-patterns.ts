/**
 * The seed's dependency error patterns (AgentDiagnosticTool._check_dependencies): a lower-cased
 * substring of an error message → what it means and what to do.
 */
import type { Category } from './classify.js';

export interface DependencyPattern {
  readonly pattern: RegExp;
  readonly issue: string;
  readonly solution: string;
  /** The guide's framework category; a refused connection is refined by the dependency it names. */
  readonly category: Category;
}

export const DEPENDENCY_PATTERNS: readonly DependencyPattern[] = [
  { pattern: /no module named ['"]?([\w.]+)/i, issue: 'a Python module is missing', solution: 'Install the missing package in the agent\'s environment (`pip install <module>`), then restart the agent.', category: 'agent_creation' },
  { pattern: /connection refused|econnrefused|connect call failed/i, issue: 'an external service refused the connection', solution: 'Check that the external service (database, API, cache) is up and reachable from the runtime, and its host/port settings.', category: 'external_api' },
  { pattern: /permission denied|eacces|forbidden|unauthori[sz]ed/i, issue: 'insufficient permissions', solution: 'Check file permissions and the API credentials/scopes the agent uses.', category: 'configuration' },
  { pattern: /timed? ?out|deadline exceeded/i, issue: 'a connection or operation timed out', solution: 'Check network latency to the dependency and raise the timeout if the dependency is just slow.', category: 'timeouts' },
];

export interface PatternMatch {
  readonly pattern: DependencyPattern;
  /** The message that matched. */
  readonly message: string;
  /** e.g. the module name for "no module named X". */
  readonly detail?: string;
}

/** The first pattern matching `text`, if any. */
export function matchDependencyPattern(text: string): PatternMatch | undefined {
  for (const p of DEPENDENCY_PATTERNS) {
    const m = p.pattern.exec(text);
    if (m) return { pattern: p, message: text, ...(m[1] ? { detail: m[1] } : {}) };
  }
  return undefined;
}
