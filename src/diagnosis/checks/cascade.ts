/**
 * Cascading failure (seed: faults propagate along agent dependencies): the agent's errors say that an
 * agent it calls failed ("X: dependency Y failed: …"), possibly several hops deep. The innermost agent of
 * the chain is where the fault originates; fixing it fixes every agent above it.
 */
import type { Check } from '../report.js';
import { matchDependencyPattern } from '../dependency-patterns.js';
import { readErrorSignal } from '../error-signals.js';
import { clip, type DiagnosisInput } from '../input.js';

export interface CascadeChain {
  /** Agents from the diagnosed one down to the origin, e.g. [ChatAgent, PlannerAgent, RetrieverAgent]. */
  readonly path: readonly string[];
  /** The origin's own error text (after the last hop). */
  readonly originError: string;
}

const HOP = /([\w.-]+): dependency ([\w.-]+) failed: /g;

/** Reads the dependency chain out of one error message; undefined when it names no failed dependency. */
export function parseCascade(agent: string, message: string): CascadeChain | undefined {
  const path: string[] = [agent];
  let rest = message;
  let lastIndex = 0;
  for (const m of message.matchAll(HOP)) {
    const to = m[2];
    if (!to) continue;
    if (path[path.length - 1] !== to) path.push(to);
    lastIndex = (m.index ?? 0) + m[0].length;
  }
  if (path.length < 2) return undefined;
  rest = message.slice(lastIndex);
  const origin = path[path.length - 1] ?? '';
  // "TimeoutError: RetrieverAgent: upstream timeout" → "TimeoutError: upstream timeout"
  const m = /^([\w.]+: )?([\w.-]+): /.exec(rest);
  const originError = m && m[2] === origin ? `${m[1] ?? ''}${rest.slice(m[0].length)}` : rest;
  return { path, originError: originError.trim() };
}

export function checkCascade(input: DiagnosisInput): Check {
  const base = { id: 'cascade', title: 'Cascading failure' } as const;
  const counts = new Map<string, { chain: CascadeChain; count: number }>();
  const recent = input.detail?.recent_errors ?? [];
  const texts = recent.length > 0 ? recent.map((e) => e.message ?? '') : [input.detail?.last_error?.message ?? ''];
  for (const t of texts) {
    const chain = parseCascade(input.agent, t);
    if (!chain) continue;
    const key = chain.path.join('>');
    const prev = counts.get(key);
    counts.set(key, { chain: prev?.chain ?? chain, count: (prev?.count ?? 0) + 1 });
  }
  const top = [...counts.values()].sort((a, b) => b.count - a.count)[0];
  if (!top) return { ...base, status: 'ok', category: 'business_logic', summary: 'No failures propagated from other agents.', evidence: [] };
  const { path, originError } = top.chain;
  const origin = path[path.length - 1] ?? '';
  const dep = matchDependencyPattern(originError);
  const why = dep ? ` — ${dep.pattern.issue}` : '';
  return {
    ...base,
    status: 'fail',
    // what the origin's error means, as the guide's log analysis reads a cascade's origin
    category: readErrorSignal({ message: originError, dependencies: input.info?.dependencies }).category,
    summary: `Cascading failure from ${origin}: ${path.join(' → ')}${why}.`,
    evidence: [
      `${top.count} recent error${top.count === 1 ? '' : 's'} of ${input.agent} come from ${origin}`,
      `Origin error: ${clip(originError, 220)}`,
    ],
    suggestion: `Fix ${origin} first: ${dep ? dep.pattern.solution : 'see its error above'} ${input.agent} fails only because it depends on ${origin} and recovers when ${origin} does; meanwhile degrade or isolate ${origin} so callers fail fast (Propose recovery).`,
  };
}
