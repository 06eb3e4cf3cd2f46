/**
 * Findings read straight off a runtime reading, for runbook matching when no diagnosis report came with
 * the request (`/autogen recover <agent>`, or an incident whose alerts name only a symptom). Thresholds
 * are the configured ones of the runtime (`findingThresholdsOf(thresholdsFor(config, runtime))`), the same
 * numbers its reports judge with; `SEED_THRESHOLDS` are the guide's defaults (§2.3, §5.2). Pure.
 *
 * Ids: `cascade`, `agent.errors`, `queue_backlog`, `memory_high`, `memory_growth`,
 * `dependency_unreachable`, `agent_creation`, `timeout`.
 */
import type { Report } from '../diagnosis/report.js';
import type { Thresholds } from '../diagnosis/thresholds.js';
import { typeOfRef } from '../runtime/resolve-agent.js';
import type { Fields, RssSample } from '../runtime/schemas.js';
import type { RuntimeView } from './runtime-view.js';

export interface FindingThresholds {
  readonly errorRate: number;
  readonly responseMs: number;
  readonly memoryMb: number;
  readonly backlog: number;
  /** RSS growth over the runtime's recent history that counts as a leak, MB per minute. */
  readonly growthMbPerMin: number;
}

export const SEED_THRESHOLDS: FindingThresholds = { errorRate: 0.05, responseMs: 2000, memoryMb: 512, backlog: 10, growthMbPerMin: 60 };

/**
 * The matching thresholds from the guide's thresholds as configured: error rate, p95 response time, RSS
 * and runtime queue depth are the figures the reports judge with (the leak rate has no configured
 * counterpart in MB per minute and stays the guide's).
 */
export function findingThresholdsOf(t: Thresholds): FindingThresholds {
  return { errorRate: t.errorRate, responseMs: t.p95ResponseMs, memoryMb: t.memoryMb, backlog: t.queueDepth, growthMbPerMin: SEED_THRESHOLDS.growthMbPerMin };
}

export type RssSampleView = Readonly<Fields<RssSample, 'ts' | 'rss_bytes'>>;

/**
 * The finding ids a diagnosis report gives runbook matching (an incident's plan is made from its diagnosis):
 * for every check that is not ok, `diagnose.<check>` and its category (`agent_creation`, `network`, …), and
 * the ids of this module's vocabulary the diagnosis established — `cascade` (failures propagated from another
 * agent) and `agent.errors` (error rate above the threshold). Other ids (`timeout`, `queue_backlog`, memory,
 * dependencies) are read off the runtime when the plan is made (`findingsFromView`). An unreachable runtime
 * gives none. Sorted, unique.
 */
export function findingsOfReport(report: Pick<Report, 'verdict' | 'checks'>): string[] {
  if (report.verdict === 'unreachable') return [];
  const out = new Set<string>();
  for (const c of report.checks) {
    if (c.status === 'ok') continue;
    out.add(`diagnose.${c.id}`);
    out.add(c.category);
    if (c.id === 'cascade') out.add('cascade');
    if (c.id === 'errors' && c.status === 'fail') out.add('agent.errors');
  }
  return [...out].sort();
}

/** `agent`: the agent the request is about (its own findings), or undefined for the whole runtime. */
export function findingsFromView(view: RuntimeView, agent: string | undefined, t: FindingThresholds = SEED_THRESHOLDS, rssHistory: readonly RssSampleView[] = []): string[] {
  const out = new Set<string>();
  const agents = view.agents.filter((a) => a.registered);
  const failing = agents.filter((a) => !a.isolated && (a.error_rate ?? 0) >= t.errorRate);
  if (failing.length >= 2) out.add('cascade');
  const subject = agent ? agents.filter((a) => a.type === typeOfRef(agent, view.agents, view.runtime.name)) : agents;
  if (subject.some((a) => (a.error_rate ?? 0) >= t.errorRate && !a.isolated)) out.add('agent.errors');
  if (view.runtime.queue_depth > t.backlog) out.add('queue_backlog');
  if ((view.runtime.rss_bytes ?? 0) > t.memoryMb * 1024 * 1024) out.add('memory_high');
  // Growth rate over the last two minutes of samples (a leak that is still going on).
  const last = rssHistory[rssHistory.length - 1];
  const recent = last ? rssHistory.filter((s) => Date.parse(s.ts) >= Date.parse(last.ts) - 120_000) : [];
  const first = recent[0];
  if (first && last) {
    const minutes = (Date.parse(last.ts) - Date.parse(first.ts)) / 60_000;
    const grownMb = (last.rss_bytes - first.rss_bytes) / (1024 * 1024);
    if (minutes >= 0.25 && grownMb / minutes >= t.growthMbPerMin) out.add('memory_growth');
  }
  if ((view.runtime.dependencies ?? []).some((d) => !d.reachable)) out.add('dependency_unreachable');
  if (subject.some((a) => (a.construction_errors ?? 0) > 0)) out.add('agent_creation');
  if (subject.some((a) => (a.latency_ms?.p95 ?? 0) > t.responseMs)) out.add('timeout');
  return [...out].sort();
}
