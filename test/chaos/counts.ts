/**
 * The chaos suite's counts: what each scenario accepted, applied and lost; posted, expected and duplicated;
 * approved, executed and executed twice. Printed as one `CHAOS` line per scenario (and kept in
 * `.run/chaos/counts.jsonl`, one JSON object a line, for the summary `make chaos` prints at the end).
 * The scale comes from `CHAOS_SCALE`: `bounded` (default, the form `make test` runs) or `full` (`make chaos`).
 */
import { appendFileSync, mkdirSync } from 'node:fs';

export interface ChaosCounts {
  alerts?: { accepted: number; applied: number; lost: number };
  posts?: { expected: number; made: number; duplicated: number };
  actions?: { approved: number; executed: number; executedTwice: number };
  /** What else the scenario measured (seconds, restarts, retries), printed after the counts. */
  notes?: Record<string, string | number>;
}

/** `full` under `make chaos` (CHAOS_SCALE=full), else `bounded`. Tests may read the environment for their own set-up. */
export function chaosScale(): 'bounded' | 'full' {
  return process.env.CHAOS_SCALE === 'full' ? 'full' : 'bounded';
}

/** `bounded` or `full` of a figure, by the scale. */
export function scaled<T>(bounded: T, full: T): T {
  return chaosScale() === 'full' ? full : bounded;
}

export function formatCounts(scenario: string, c: ChaosCounts): string {
  const parts: string[] = [];
  if (c.alerts) parts.push(`alerts accepted ${c.alerts.accepted} / applied ${c.alerts.applied} / lost ${c.alerts.lost}`);
  if (c.posts) parts.push(`posts expected ${c.posts.expected} / made ${c.posts.made} / duplicated ${c.posts.duplicated}`);
  if (c.actions) parts.push(`actions approved ${c.actions.approved} / executed ${c.actions.executed} / executed twice ${c.actions.executedTwice}`);
  if (c.notes) parts.push(Object.entries(c.notes).map(([k, v]) => `${k} ${v}`).join(', '));
  return `CHAOS [${chaosScale()}] ${scenario}: ${parts.join('; ')}`;
}

/** Prints the scenario's counts and records them for the run's summary. */
export function reportCounts(scenario: string, c: ChaosCounts): void {
  const line = formatCounts(scenario, c);
  console.log(line);
  try {
    mkdirSync('.run/chaos', { recursive: true });
    appendFileSync('.run/chaos/counts.jsonl', `${JSON.stringify({ at: new Date().toISOString(), scale: chaosScale(), scenario, ...c })}\n`);
  } catch { /* the printed line is what counts */ }
}
