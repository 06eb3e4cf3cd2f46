/**
 * The guide's dependency check: error messages of the agent (the error records the bridge keeps, else its
 * error logs, and its dependency calls) are matched against the guide's patterns ("no module named",
 * "connection refused", "permission denied", "timeout"); unreachable runtime dependencies are reported too.
 * The records are a sample, so the finding says how many of those read matched, not a total.
 */
import type { Check } from '../report.js';
import { matchDependencyPattern, type PatternMatch } from '../dependency-patterns.js';
import { dependencyCategory, mentionedDependency } from '../error-signals.js';
import { clip, type DiagnosisInput } from '../input.js';
import { formatCount } from '../quantities.js';
import { eventsOf } from '../../runtime/schemas.js';

/**
 * One source of error text: the kept error records when there are any (the logs repeat them), else the error
 * logs, each with the events it stands for (a log record kept under load stands for the errors of its
 * signature after it that the bridge counted, not kept).
 */
function errorTexts(input: DiagnosisInput): { readonly text: string; readonly events: number }[] {
  const d = input.detail;
  const records = (d?.recent_errors ?? []).map((e) => ({ text: `${e.exception_type ?? ''}: ${e.message ?? ''}`, events: 1 }));
  const texts = records.length > 0
    ? records
    : input.logs.filter((r) => r.message && (r.level === 'ERROR' || r.level === 'CRITICAL')).map((r) => ({ text: r.message ?? '', events: eventsOf(r) }));
  for (const c of d?.dependency_calls ?? []) if (c.last_error) texts.push({ text: `${c.name}: ${c.last_error}`, events: 1 });
  return texts;
}

export function checkDependencies(input: DiagnosisInput): Check {
  const base = { id: 'dependencies', title: 'Dependencies' } as const;
  const matches = new Map<string, { m: PatternMatch; count: number }>();
  const texts = errorTexts(input);
  const read = texts.reduce((n, t) => n + t.events, 0);
  for (const t of texts) {
    const m = matchDependencyPattern(t.text);
    if (!m) continue;
    const key = m.pattern.issue;
    const prev = matches.get(key);
    matches.set(key, prev ? { m: prev.m, count: prev.count + t.events } : { m, count: t.events });
  }
  const failingCalls = (input.detail?.dependency_calls ?? []).filter((c) => (c.errors ?? 0) > 0);
  const deadDeps = (input.info?.dependencies ?? []).filter((dep) => dep.reachable === false);
  const evidence: string[] = [];
  for (const c of failingCalls) evidence.push(`${c.name}${c.kind ? ` (${c.kind})` : ''}: ${c.errors}/${c.count ?? '?'} calls failed${c.last_error ? ` — last: ${clip(c.last_error, 120)}` : ''}`);
  for (const dep of deadDeps) evidence.push(`${dep.name}${dep.url ? ` at ${dep.url}` : ''} is unreachable${dep.error ? `: ${clip(dep.error, 120)}` : ''}`);

  const top = [...matches.values()].sort((a, b) => b.count - a.count)[0];
  if (top) {
    const detail = top.m.detail ? ` (\`${top.m.detail}\`)` : '';
    const named = top.m.pattern.category === 'external_api'
      ? mentionedDependency({ message: top.m.message, dependencies: input.info?.dependencies }) ?? deadDeps[0]
      : undefined;
    return {
      ...base,
      status: 'fail',
      category: named ? dependencyCategory(named) : top.m.pattern.category,
      summary: `Dependency problem: ${top.m.pattern.issue}${detail} — in ${formatCount(top.count)} of the ${formatCount(read)} latest error${read === 1 ? '' : 's'} read.`,
      evidence: [clip(top.m.message, 200), ...evidence].slice(0, 6),
      suggestion: top.m.detail && top.m.pattern.category === 'agent_creation'
        ? `Install the missing package in the agent's environment (\`pip install ${top.m.detail.split('.')[0]}\`), then restart the agent.`
        : top.m.pattern.solution,
      explains: 0.5,
    };
  }
  const failing = failingCalls[0] ?? deadDeps[0];
  if (failing) {
    return {
      ...base,
      status: failingCalls.length > 0 ? 'fail' : 'warn',
      category: dependencyCategory(failing),
      summary: 'A dependency is failing or unreachable.',
      evidence,
      suggestion: 'Check the dependency\'s status and the runtime\'s network path to it.',
    };
  }
  return { ...base, status: 'ok', category: 'external_api', summary: 'No dependency errors found.', evidence: [] };
}
