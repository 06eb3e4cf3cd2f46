/**
 * Findings read straight off a runtime reading, for runbook matching when no diagnosis report came with
 * the request (`/autogen recover <agent>`, or an incident whose alerts name only a symptom). Thresholds
 * are the seed's (§2.3, §5.2): error rate 5 %, response 2 s, memory 512 MB, backlog 10. Pure.
 *
 * Ids: `cascade`, `agent.errors`, `queue_backlog`, `memory_high`, `memory_growth`,
 * `dependency_unreachable`, `agent_creation`, `timeout`.
 */
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

export interface RssSampleView {
  readonly ts: string;
  readonly rss_bytes: number;
}

/** `agent`: the agent the request is about (its own findings), or undefined for the whole runtime. */
export function findingsFromView(view: RuntimeView, agent: string | undefined, t: FindingThresholds = SEED_THRESHOLDS, rssHistory: readonly RssSampleView[] = []): string[] {
  const out = new Set<string>();
  const agents = view.agents.filter((a) => a.registered);
  const failing = agents.filter((a) => !a.isolated && (a.error_rate ?? 0) >= t.errorRate);
  if (failing.length >= 2) out.add('cascade');
  const subject = agent ? agents.filter((a) => a.type === agent) : agents;
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
