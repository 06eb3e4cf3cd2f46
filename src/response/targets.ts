/**
 * Resolving a runbook target selector to concrete agent types against one reading of the runtime.
 * Pure: the same view and subject always give the same targets, so a plan can be rebuilt and compared.
 */
import { typeOfRef } from '../runtime/resolve-agent.js';
import type { AgentMetric, Target } from './runbook-schema.js';
import { defaultSelectOf, type ActionName } from './bridge-actions.js';
import type { AgentView, RuntimeView } from './runtime-view.js';

/** The incident side of resolution. */
export interface TargetSubject {
  /** The primary agent (incident label `agent`, or the `/autogen recover <agent>` argument). */
  readonly agent?: string | undefined;
  /** Every agent the incident names (primary first). */
  readonly agents: readonly string[];
}

/** `null` means the runtime as a whole; otherwise agent types (non-empty). */
export type Resolved = { ok: true; agentTypes: string[] | null } | { ok: false; reason: string };

function metric(a: AgentView, by: AgentMetric): number {
  switch (by) {
    case 'error_rate': return a.error_rate ?? 0;
    case 'errors_total': return a.errors_total ?? 0;
    case 'latency_p95': return a.latency_ms?.p95 ?? 0;
    case 'inflight': return a.inflight ?? 0;
  }
}

function registered(view: RuntimeView): AgentView[] {
  return view.agents.filter((a) => a.registered);
}

/** An incident or a request names an agent as people do (`<team>/<name>` for an AgentChat participant): its registered type now. */
function typeOf(ref: string, view: RuntimeView): string {
  return typeOfRef(ref, view.agents, view.runtime.name); // ambiguous: left as named, so the plan says it matches nothing
}

export function resolveTarget(target: Target, view: RuntimeView, subject: TargetSubject): Resolved {
  const known = new Set(registered(view).map((a) => a.type));
  const incidentAgents = [...new Set([...(subject.agent ? [subject.agent] : []), ...subject.agents].map((ref) => typeOf(ref, view)))];
  switch (target.select) {
    case 'runtime':
      return { ok: true, agentTypes: null };
    case 'agent_type': {
      const type = typeOf(target.agent_type, view);
      return known.has(type)
        ? { ok: true, agentTypes: [type] }
        : { ok: false, reason: `agent type ${target.agent_type} is not registered in runtime ${view.runtime.name}` };
    }
    case 'incident_agent': {
      const primary = incidentAgents[0];
      if (!primary) return { ok: false, reason: 'the incident names no agent' };
      return known.has(primary)
        ? { ok: true, agentTypes: [primary] }
        : { ok: false, reason: `agent type ${primary} is not registered in runtime ${view.runtime.name}` };
    }
    case 'incident_agents': {
      const found = incidentAgents.filter((t) => known.has(t));
      if (found.length === 0) {
        return { ok: false, reason: incidentAgents.length === 0 ? 'the incident names no agent' : `none of ${incidentAgents.join(', ')} is registered in runtime ${view.runtime.name}` };
      }
      return { ok: true, agentTypes: found };
    }
    case 'failing_agents': {
      const rank = new Map(incidentAgents.map((t, i) => [t, i]));
      const explained = target.origins_only ? failuresExplainedByDependencies(view) : new Set<string>();
      const failing = registered(view)
        .filter((a) => !a.isolated && (a.error_rate ?? 0) >= target.min_error_rate && !explained.has(a.type))
        .sort((a, b) => (b.error_rate ?? 0) - (a.error_rate ?? 0)
          || (rank.get(a.type) ?? Infinity) - (rank.get(b.type) ?? Infinity)
          || a.type.localeCompare(b.type))
        .slice(0, target.limit)
        .map((a) => a.type);
      return failing.length > 0
        ? { ok: true, agentTypes: failing }
        : { ok: false, reason: `no agent has an error rate of ${Math.round(target.min_error_rate * 100)} % or more right now` };
    }
    case 'worst_agent': {
      if (target.prefer_incident) {
        const own = incidentAgents.find((t) => known.has(t));
        if (own) return { ok: true, agentTypes: [own] };
      }
      const worst = registered(view).sort((a, b) => metric(b, target.by) - metric(a, target.by) || a.type.localeCompare(b.type))[0];
      return worst ? { ok: true, agentTypes: [worst.type] } : { ok: false, reason: `runtime ${view.runtime.name} has no registered agent` };
    }
    case 'unreachable_dependents': {
      const down = new Set((view.runtime.dependencies ?? []).filter((d) => !d.reachable).map((d) => d.name));
      if (down.size === 0) return { ok: false, reason: 'every dependency of the runtime is reachable' };
      const dependents = registered(view)
        .filter((a) => (a.dependency_calls ?? []).some((c) => down.has(c.name)))
        .map((a) => a.type)
        .sort();
      return dependents.length > 0
        ? { ok: true, agentTypes: dependents }
        : { ok: false, reason: `no agent calls the unreachable ${[...down].sort().join(', ')}` };
    }
  }
}

/**
 * Agent types all of whose recent failed deliveries are explained by a failed message they sent while
 * handling them (a dependency failed first). Only the time span every agent's record covers is judged
 * (each list is the bridge's most recent N, so older parents may have lost their children). An agent with
 * no failed delivery in that span is never in the set.
 */
export function failuresExplainedByDependencies(view: RuntimeView): Set<string> {
  const lists = Object.entries(view.messages ?? {}).filter(([, msgs]) => msgs.length > 0);
  const oldest = lists.map(([, msgs]) => Math.min(...msgs.map((m) => Date.parse(m.started_at ?? '') || Infinity)));
  const since = oldest.length > 0 ? Math.max(...oldest.filter(Number.isFinite), -Infinity) : -Infinity;
  const inSpan = (m: { started_at?: string | null }): boolean => (Date.parse(m.started_at ?? '') || -Infinity) >= since || !Number.isFinite(since);
  const all = lists.flatMap(([, msgs]) => msgs);
  const failedParents = new Set(all.filter((m) => m.outcome === 'error' && m.parent_id).map((m) => m.parent_id as string));
  const out = new Set<string>();
  for (const [type, msgs] of lists) {
    const failed = msgs.filter((m) => m.outcome === 'error' && inSpan(m));
    if (failed.length > 0 && failed.every((m) => failedParents.has(m.message_id))) out.add(type);
  }
  return out;
}

/**
 * The selector a step uses when its runbook gives none: the runtime for runtime-wide actions, the
 * incident's agent otherwise (the table of bridge actions says which, e.g. a degrade that switches off
 * tools acts on a participant).
 */
export function defaultTargetFor(step: { readonly action: ActionName; readonly params: unknown }): Target {
  return { select: defaultSelectOf(step.action, step.params) };
}
