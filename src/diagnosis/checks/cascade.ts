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

// Anchored and bounded: at most 200 × 200 steps whatever the text (this runs over untrusted exception text).
const LEADING_AGENT = /^([\w.]{1,200}: )?([\w.-]{1,200}): /;
const HOP_MARK = ': dependency ';
const HOP_END = ' failed: ';
const MAX_NAME = 200;
const NAME_CHAR = /^[\w.-]$/;

/**
 * The hops `<from>: dependency <to> failed: ` of `message`, left to right, as `to` names and the end of the
 * last hop. A scan with indexOf — linear in the text: the regex form of this tried up to 200 name
 * characters at every position of a long word.
 */
function hopsOf(message: string): { readonly to: string[]; readonly end: number } {
  const to: string[] = [];
  let end = 0;
  let from = 0;
  for (let i = message.indexOf(HOP_MARK); i !== -1; i = message.indexOf(HOP_MARK, from)) {
    from = i + 1;
    // a name (one character is enough) right before the mark, after the previous hop
    if (i - 1 < end || !NAME_CHAR.test(message[i - 1]!)) continue;
    const start = i + HOP_MARK.length;
    let k = start;
    while (k < message.length && k - start < MAX_NAME && NAME_CHAR.test(message[k]!)) k += 1;
    if (k === start || !message.startsWith(HOP_END, k)) continue;
    to.push(message.slice(start, k));
    end = k + HOP_END.length;
    from = end;
  }
  return { to, end };
}

/** Reads the dependency chain out of one error message; undefined when it names no failed dependency. */
export function parseCascade(agent: string, message: string): CascadeChain | undefined {
  const path: string[] = [agent];
  const hops = hopsOf(message);
  for (const to of hops.to) {
    if (path[path.length - 1] !== to) path.push(to);
  }
  const lastIndex = hops.end;
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

/**
 * Under load the bridge links a sample of whole traces and only counts the other messages (`unlinked`): the
 * failed calls are then counts within the sample, so their denominator is the agent's failed hops in the
 * sample (`failures`), not its exact error count — and the scope says it is a sample.
 */
function fromGraph(input: DiagnosisInput, calls: readonly FailedCall[]): Found | undefined {
  const chains = calls.filter((c) => c.path.length >= 2);
  const top = chains[0];
  if (!top) return undefined;
  const explained = chains.reduce((s, c) => s + c.count, 0);
  const graph = input.detail?.message_graph;
  const unlinked = graph?.unlinked ?? 0;
  const sampled = unlinked > 0 && (graph?.failures ?? 0) > 0;
  const failures = Math.max(explained, sampled ? (graph?.failures ?? 0) : (input.detail?.window_errors ?? 0));
  const since = graph?.since ? ` since ${graph.since.slice(11, 19)} UTC` : '';
  const sample = unlinked > 0 ? ` (a sample: ${formatCount(unlinked)} more message${unlinked === 1 ? ' was' : 's were'} counted, not linked)` : '';
  return {
    path: top.path,
    originError: top.origin_error ?? '',
    refused: top.outcome === 'refused',
    count: top.count,
    of: failures,
    scope: graph ? `among the ${formatCount(graph.messages)} message hops the bridge ${unlinked > 0 ? 'linked' : 'links'}${since}${sample}` : 'in the bridge\'s message graph',
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
