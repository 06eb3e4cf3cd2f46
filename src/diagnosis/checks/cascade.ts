/**
 * Cascading failure (the guide: faults propagate along agent dependencies). Proven by structure first:
 * the bridge's message graph links each failed message of this agent to the failed call it made, down to
 * the deepest failing agent — whatever the error text says, re-raised, wrapped or replaced. Error text
 * only refines what the origin's failure means (its category and fix). A bridge that does not report the
 * graph falls back to reading chains of the form `X: dependency Y failed: …` out of the errors.
 */
import type { Check } from '../report.js';
import { matchDependencyPattern } from '../dependency-patterns.js';
import { readErrorSignal } from '../error-signals.js';
import { clip, type DiagnosisInput } from '../input.js';
import type { FailedCall } from '../../runtime/schemas.js';
import { formatCount } from '../quantities.js';

export interface CascadeChain {
  /** Agents from the diagnosed one down to the origin, e.g. [ChatAgent, PlannerAgent, RetrieverAgent]. */
  readonly path: readonly string[];
  /** The origin's own error text (after the last hop). */
  readonly originError: string;
}

// Linear: one agent name per hop, no nested quantifiers (this runs over untrusted exception text).
const HOP = /([\w.-]{1,200}): dependency ([\w.-]{1,200}) failed: /g;
const LEADING_AGENT = /^([\w.]{1,200}: )?([\w.-]{1,200}): /;

/** Reads the dependency chain out of one error message; undefined when it names no failed dependency. */
export function parseCascade(agent: string, message: string): CascadeChain | undefined {
  const path: string[] = [agent];
  let lastIndex = 0;
  for (const m of message.matchAll(HOP)) {
    const to = m[2];
    if (!to) continue;
    if (path[path.length - 1] !== to) path.push(to);
    lastIndex = (m.index ?? 0) + m[0].length;
  }
  if (path.length < 2) return undefined;
  const rest = message.slice(lastIndex);
  const origin = path[path.length - 1] ?? '';
  // "TimeoutError: RetrieverAgent: upstream timeout" → "TimeoutError: upstream timeout"
  const m = LEADING_AGENT.exec(rest);
  const originError = m && m[2] === origin ? `${m[1] ?? ''}${rest.slice(m[0].length)}` : rest;
  return { path, originError: originError.trim() };
}

interface Found {
  readonly path: readonly string[];
  readonly originError: string;
  readonly refused: boolean;
  /** Failures of the diagnosed agent this path explains. */
  readonly count: number;
  /** Failures considered (the denominator of `count`). */
  readonly of: number;
  readonly scope: string;
}

function fromGraph(input: DiagnosisInput, calls: readonly FailedCall[]): Found | undefined {
  const chains = calls.filter((c) => c.path.length >= 2);
  const top = chains[0];
  if (!top) return undefined;
  const explained = chains.reduce((s, c) => s + c.count, 0);
  const failures = Math.max(explained, input.detail?.window_errors ?? 0);
  const graph = input.detail?.message_graph;
  const since = graph?.since ? ` since ${graph.since.slice(11, 19)} UTC` : '';
  return {
    path: top.path,
    originError: top.origin_error ?? '',
    refused: top.outcome === 'refused',
    count: top.count,
    of: failures,
    scope: graph ? `among the ${formatCount(graph.messages)} message hops the bridge links${since}` : 'in the bridge\'s message graph',
  };
}

function fromText(input: DiagnosisInput): Found | undefined {
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
  if (!top) return undefined;
  return { path: top.chain.path, originError: top.chain.originError, refused: false, count: top.count, of: texts.length, scope: `in the last ${texts.length} error records` };
}

export function checkCascade(input: DiagnosisInput): Check {
  const base = { id: 'cascade', title: 'Cascading failure' } as const;
  const calls = input.detail?.failed_calls;
  const found = calls ? fromGraph(input, calls) : fromText(input);
  if (!found) return { ...base, status: 'ok', category: 'business_logic', summary: 'No failures propagated from other agents.', evidence: [] };
  const { path, originError } = found;
  const origin = path[path.length - 1] ?? '';
  const evidence = [
    `${formatCount(found.count)} of ${formatCount(found.of)} failures of ${input.agent} ${found.scope} failed because a call to ${origin} failed`,
    ...(originError ? [`Origin error: ${clip(originError, 220)}`] : []),
  ];
  const explains = found.of > 0 ? Math.min(1, found.count / found.of) : 1;
  if (found.refused) {
    return {
      ...base,
      status: 'fail',
      category: 'message_delivery',
      summary: `${origin} refuses messages (isolated, degraded or under backpressure), so ${input.agent} fails: ${path.join(' → ')}.`,
      evidence,
      suggestion: `${input.agent} fails fast while ${origin} refuses messages; fix what made ${origin} fail, then release it (or wait for its action's TTL).`,
      explains,
    };
  }
  const dep = matchDependencyPattern(originError);
  const why = dep ? ` — ${dep.pattern.issue}` : '';
  return {
    ...base,
    status: 'fail',
    // what the origin's error means, as the guide's log analysis reads a cascade's origin
    category: readErrorSignal({ message: originError, dependencies: input.info?.dependencies }).category,
    summary: `Cascading failure from ${origin}: ${path.join(' → ')}${why}.`,
    evidence,
    suggestion: `Fix ${origin} first: ${dep ? dep.pattern.solution : 'see its error above.'} ${input.agent} fails only because it depends on ${origin} and recovers when ${origin} does; meanwhile degrade or isolate ${origin} so callers fail fast (Propose recovery).`,
    explains,
  };
}
