/**
 * Which incident an alert belongs to.
 *
 * An incident is scoped by the AutoGen runtime and the agent type an alert names, plus the values of a
 * configurable label set (e.g. `cluster`, `env`). An agent cascade is one incident: agents connected in
 * the dependency graph (configured pairs, plus edges the monitor learns from the bridge's message log)
 * share an incident, so a failing `ToolAgent` that makes `RetrieverAgent`, `PlannerAgent` and `ChatAgent`
 * fail too opens one thread, not four.
 *
 * The decision is pure: it yields the alert's own incident key and the keys of every agent in its
 * cascade; the store then joins the first open incident among them, or opens one under the own key,
 * atomically.
 */
import { AGENT_TYPE_RE } from '../identifiers.js';
import { labelValue } from './alert.js';
import { shortHash } from './fingerprint.js';

/** A dependency edge: `[caller, callee]` agent types. Direction does not matter for grouping. */
export type AgentEdge = readonly [string, string];

/** Grouping options (the `alerts.grouping` section of the configuration). */
export interface GroupingRules {
  /** Label names naming the AutoGen runtime, first non-empty wins. Default `runtime`, `autogen_runtime`. */
  readonly runtimeLabels: readonly string[];
  /** Label names naming the agent type, first non-empty wins. Default `agent_type`, `agent`. */
  readonly agentLabels: readonly string[];
  /** Further label names whose values split incidents (e.g. `cluster`). Default none. */
  readonly groupBy: readonly string[];
  /** Configured agent dependencies; connected agents form one cascade. Default none. */
  readonly dependencies: readonly AgentEdge[];
  /**
   * Label names by which an alert names the agent type(s) its agent calls or is called by (its upstream,
   * its caller); such alerts join the cascade they name (src/incidents/call-graph.ts). Default `upstream`,
   * `caller`, `depends_on`.
   */
  readonly topologyLabels: readonly string[];
}

export const DEFAULT_GROUPING: GroupingRules = Object.freeze({
  runtimeLabels: Object.freeze(['runtime', 'autogen_runtime']),
  agentLabels: Object.freeze(['agent_type', 'agent']),
  groupBy: Object.freeze([] as string[]),
  dependencies: Object.freeze([] as AgentEdge[]),
  topologyLabels: Object.freeze(['upstream', 'caller', 'depends_on']),
});

/** Where an alert belongs. */
export interface IncidentScope {
  /** The runtime named by the alert, or null. */
  readonly runtime: string | null;
  /** The agent type named by the alert, or null (a runtime-wide or non-AutoGen alert). */
  readonly agent: string | null;
  /** The alert's own incident key (hex, no `:`). */
  readonly key: string;
  /** Keys of the incidents this alert may join, own key first, then the rest of its cascade (sorted). */
  readonly candidateKeys: readonly string[];
  /** Agent types of the cascade the alert's agent belongs to (sorted, includes the agent), or []. */
  readonly cascade: readonly string[];
  /** `label=value` pairs of the configured group-by labels, for display. */
  readonly groupValues: Readonly<Record<string, string>>;
}

/** The agents connected to `agent` through `edges` (including itself), sorted. */
export function cascadeOf(agent: string, edges: readonly AgentEdge[]): string[] {
  const adjacent = new Map<string, Set<string>>();
  const link = (a: string, b: string): void => {
    let set = adjacent.get(a);
    if (!set) adjacent.set(a, (set = new Set()));
    set.add(b);
  };
  for (const [a, b] of edges) {
    if (a === b) continue;
    link(a, b);
    link(b, a);
  }
  const seen = new Set<string>([agent]);
  const todo = [agent];
  while (todo.length > 0) {
    const next = todo.pop()!;
    for (const n of adjacent.get(next) ?? []) {
      if (!seen.has(n)) {
        seen.add(n);
        todo.push(n);
      }
    }
  }
  return [...seen].sort();
}

/** Recent scope keys by their input: a storm's alerts name a handful of scopes, each hashed once. */
const keyCache = new Map<string, string>();
const KEY_CACHE_MAX = 4096;

function keyFor(runtime: string | null, subject: string, groupValues: Readonly<Record<string, string>>): string {
  const text = JSON.stringify([runtime ?? '', subject, Object.entries(groupValues).sort()]);
  let key = keyCache.get(text);
  if (key === undefined) {
    if (keyCache.size >= KEY_CACHE_MAX) keyCache.clear();
    key = shortHash(text);
    keyCache.set(text, key);
  }
  return key;
}

/** An alert's own scope, without its cascade: what `scopeOf` starts from (the intake needs only this). */
export function ownScopeOf(labels: Readonly<Record<string, string>>, rules: GroupingRules): Pick<IncidentScope, 'runtime' | 'agent' | 'key' | 'groupValues'> {
  const runtime = labelValue(labels, rules.runtimeLabels);
  const agent = labelValue(labels, rules.agentLabels);
  const groupValues: Record<string, string> = {};
  for (const name of rules.groupBy) {
    const v = labels[name];
    if (v !== undefined && v !== '') groupValues[name] = v;
  }
  // No agent: a runtime-wide alert groups per runtime; an alert naming neither groups by its alertname.
  const subject = agent !== null ? `agent\u0000${agent}` : runtime !== null ? 'runtime' : `alertname\u0000${labels.alertname ?? ''}`;
  return { runtime, agent, key: keyFor(runtime, subject, groupValues), groupValues };
}

/**
 * The incident scope of an alert with `labels`. `learnedEdges` are dependencies observed at run time
 * (the monitor's view of who sends to whom); they are merged with the configured ones.
 */
export function scopeOf(
  labels: Readonly<Record<string, string>>,
  rules: GroupingRules,
  learnedEdges: readonly AgentEdge[] = [],
): IncidentScope {
  const own = ownScopeOf(labels, rules);
  const { runtime, agent, key, groupValues } = own;
  if (agent === null) return { ...own, candidateKeys: [key], cascade: [] };
  const cascade = cascadeOf(agent, [...rules.dependencies, ...learnedEdges]);
  const others = cascade.filter((a) => a !== agent).map((a) => keyFor(runtime, `agent\u0000${a}`, groupValues));
  return { ...own, candidateKeys: [key, ...others], cascade };
}

/** Parses `ChatAgent>PlannerAgent, PlannerAgent>ToolAgent` (the ALERT_AGENT_DEPENDENCIES format). */
export function parseDependencies(text: string): { edges: AgentEdge[]; problems: string[] } {
  const edges: AgentEdge[] = [];
  const problems: string[] = [];
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (item === '') continue;
    const parts = item.split('>').map((p) => p.trim());
    if (parts.length < 2 || parts.some((p) => !AGENT_TYPE_RE.test(p))) {
      problems.push(`"${item}" is not "AgentA>AgentB" (agent type names: letters, digits, _ - .)`);
      continue;
    }
    for (let i = 0; i + 1 < parts.length; i += 1) edges.push([parts[i]!, parts[i + 1]!]);
  }
  return { edges, problems };
}
