/** Follow-up buttons of a diagnosis report (action ids with the `diag:` prefix; values are compact JSON). */
import type { FollowUp, Verdict } from './report.js';

export interface DiagTarget {
  /** agent type */
  a: string;
  /** runtime name */
  r: string;
}

export const DIAG_ACTIONS = { logs: 'diag:logs', recover: 'diag:recover', rerun: 'diag:rerun' } as const;

export function diagFollowUps(agent: string, runtime: string, verdict: Verdict): FollowUp[] {
  const value = JSON.stringify({ a: agent, r: runtime } satisfies DiagTarget);
  const out: FollowUp[] = [];
  if (verdict !== 'unreachable') out.push({ action_id: DIAG_ACTIONS.logs, label: 'Show logs', value });
  if (verdict === 'failing' || verdict === 'degraded') out.push({ action_id: DIAG_ACTIONS.recover, label: 'Propose recovery', value, style: 'primary' });
  out.push({ action_id: DIAG_ACTIONS.rerun, label: 'Run again', value });
  return out;
}
