/**
 * Which runbooks answer an incident: every label the runbook names must match the incident's labels, and
 * when the runbook names diagnosis findings, at least one must be present among the incident's findings
 * (a finding counts by its check id, e.g. `health.dependency`, or by its category, e.g. `network`).
 * A runbook that names only findings matches on findings alone; one that names only labels, on labels.
 * Pure; best match first (priority, then how much matched, then id).
 */
import type { Runbook } from './runbook-schema.js';

/** What matching needs to know about an incident (or a `/autogen recover` request). */
export interface MatchSubject {
  readonly labels: Readonly<Record<string, string>>;
  /** Ids and categories of the diagnosis findings that are not ok. */
  readonly findings: readonly string[];
}

export interface RunbookMatch {
  readonly runbook: Runbook;
  /** What matched, for the plan message ("alertname=AgentCascadeFailure, finding cascade"). */
  readonly reasons: readonly string[];
  readonly score: number;
}

function labelMatches(expected: string | readonly string[], actual: string | undefined): boolean {
  if (actual === undefined) return false;
  return typeof expected === 'string' ? expected === actual : expected.includes(actual);
}

export function matchRunbook(runbook: Runbook, subject: MatchSubject): RunbookMatch | null {
  const reasons: string[] = [];
  const labelEntries = Object.entries(runbook.match.labels);
  let labelsOk = labelEntries.length > 0;
  for (const [name, expected] of labelEntries) {
    const actual = subject.labels[name];
    if (!labelMatches(expected, actual)) {
      labelsOk = false;
      break;
    }
    reasons.push(`${name}=${actual}`);
  }
  if (!labelsOk) reasons.length = 0;
  const have = new Set(subject.findings);
  const foundFindings = runbook.match.findings.filter((f) => have.has(f));
  for (const f of foundFindings) reasons.push(`finding ${f}`);
  const findingsOk = foundFindings.length > 0;
  // Labels and findings are alternative evidence: either suffices when declared.
  if (!labelsOk && !findingsOk) return null;
  const score = runbook.match.priority * 1000 + (labelsOk ? labelEntries.length * 10 : 0) + foundFindings.length;
  return { runbook, reasons, score };
}

/** Every matching runbook, best first. */
export function matchRunbooks(runbooks: readonly Runbook[], subject: MatchSubject): RunbookMatch[] {
  const out: RunbookMatch[] = [];
  for (const rb of runbooks) {
    const m = matchRunbook(rb, subject);
    if (m) out.push(m);
  }
  return out.sort((a, b) => b.score - a.score || a.runbook.id.localeCompare(b.runbook.id));
}

/** A match and the label set it was made on (one of an incident's alerts). */
export interface LabelledMatch extends RunbookMatch {
  readonly labels: Readonly<Record<string, string>>;
}

/**
 * Every runbook that matches one of `labelSets` (the labels of an incident's alerts: an incident about one
 * problem may hold an `AutoGenAgentErrors` and an `AutoGenAgentHighErrorRate` alert) with `findings`, each
 * runbook once with its best match and the labels it matched on; best first, as `matchRunbooks`.
 */
export function matchRunbooksAcross(runbooks: readonly Runbook[], labelSets: readonly Readonly<Record<string, string>>[], findings: readonly string[]): LabelledMatch[] {
  const best = new Map<string, LabelledMatch>();
  for (const labels of labelSets.length > 0 ? labelSets : [{}]) {
    for (const m of matchRunbooks(runbooks, { labels, findings })) {
      const held = best.get(m.runbook.id);
      if (!held || m.score > held.score) best.set(m.runbook.id, { ...m, labels });
    }
  }
  return [...best.values()].sort((a, b) => b.score - a.score || a.runbook.id.localeCompare(b.runbook.id));
}

/** Runbooks named explicitly (by id or scenario), e.g. `/autogen recover ChatAgent agent-wont-start`. */
export function findRunbook(runbooks: readonly Runbook[], idOrScenario: string): Runbook | undefined {
  return runbooks.find((r) => r.id === idOrScenario) ?? runbooks.find((r) => r.scenario === idOrScenario);
}
