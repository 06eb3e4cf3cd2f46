/**
 * From findings to alert events: the monitor raises an alert when a threshold is first crossed and
 * resolves it when the condition clears — the same alerts, through the same pipeline, as Alertmanager's.
 *
 * Pure: the previous poll's firing set goes in, the events and the next firing set come out. A finding
 * that keeps firing raises nothing new (its alert, with the start time of its first poll, is unchanged);
 * while the bridge cannot be read, the earlier findings are carried over, not resolved (we cannot see).
 */
import type { NormalizedAlert } from '../incidents/alert.js';
import { labelsFingerprint } from '../incidents/fingerprint.js';
import type { Finding } from './evaluate.js';

/** The `source` of monitor alerts. */
export const MONITOR_SOURCE = 'monitor';

/** Finding id → the alert raised for it (as it was raised). */
export type FiringSet = Readonly<Record<string, NormalizedAlert>>;

export interface MonitorStep {
  /** Alerts to enqueue: new firing ones and resolutions. */
  readonly events: NormalizedAlert[];
  /** The firing set after this poll. */
  readonly next: Record<string, NormalizedAlert>;
}

/** The alert raised for `finding` in `runtime`, first seen at `nowMs`. */
export function alertForFinding(runtime: string, finding: Finding, nowMs: number): NormalizedAlert {
  const labels: Record<string, string> = { alertname: finding.alertname, runtime, severity: finding.severity };
  if (finding.agent !== null) labels.agent_type = finding.agent;
  return {
    source: MONITOR_SOURCE,
    kind: 'monitor',
    fingerprint: labelsFingerprint(labels),
    status: 'firing',
    labels,
    annotations: {
      summary: finding.summary,
      description: `Raised by the AutoGen Ops monitor polling runtime ${runtime}: ${finding.summary}.`,
    },
    startsAt: new Date(nowMs).toISOString(),
    endsAt: null,
    generatorURL: null,
    groupKey: null,
  };
}

/**
 * One poll's step. `findings`: what crosses a threshold now. `carryOver`: ids of previous findings to
 * keep as they are (used while the bridge is unreachable).
 */
export function monitorStep(
  runtime: string,
  findings: readonly Finding[],
  previous: FiringSet,
  nowMs: number,
  carryOver: ReadonlySet<string> = new Set(),
): MonitorStep {
  const events: NormalizedAlert[] = [];
  const next: Record<string, NormalizedAlert> = {};
  const current = new Set<string>();
  for (const f of findings) {
    current.add(f.id);
    const before = previous[f.id];
    if (before) {
      next[f.id] = before;
    } else {
      const alert = alertForFinding(runtime, f, nowMs);
      next[f.id] = alert;
      events.push(alert);
    }
  }
  for (const [id, alert] of Object.entries(previous)) {
    if (current.has(id)) continue;
    if (carryOver.has(id)) {
      next[id] = alert;
      continue;
    }
    events.push({ ...alert, status: 'resolved', endsAt: new Date(nowMs).toISOString() });
  }
  return { events, next };
}

/** One held agent as the monitor remembers it. */
export interface HoldState {
  /** When the monitor first saw it isolated or degraded (ms). */
  readonly since: number;
  /** When it saw it released (ms); null while it is held. */
  readonly releasedAt: number | null;
  /** Its `handled_total` at the release: handling more since then is the evidence its figures need. */
  readonly handledAtRelease: number | null;
}

/** Agent type → hold. */
export type HeldSet = Readonly<Record<string, HoldState>>;

export interface HoldStep {
  readonly next: Record<string, HoldState>;
  /** Agents whose earlier alerts stay as they are this poll (held, or released without evidence yet). */
  readonly carry: ReadonlySet<string>;
  /** Newly held this poll. */
  readonly started: readonly string[];
  /** No longer carried from this poll on: their alerts are judged by their figures again. */
  readonly ended: readonly string[];
}

/**
 * Held agents (isolated, degraded) keep their alerts: their silence is not health. After the release an
 * agent is judged again once it handled a message since then — or once a whole recent window has passed
 * without any (an idle agent cannot prove more). `handled`: each agent's `handled_total` now.
 */
export function holdStep(previous: HeldSet, heldNow: ReadonlySet<string>, handled: ReadonlyMap<string, number | null>, nowMs: number, windowMs: number): HoldStep {
  const next: Record<string, HoldState> = {};
  const carry = new Set<string>();
  const started: string[] = [];
  const ended: string[] = [];
  for (const agent of [...heldNow].sort()) {
    const before = previous[agent];
    if (!before) started.push(agent);
    next[agent] = { since: before?.since ?? nowMs, releasedAt: null, handledAtRelease: null };
    carry.add(agent);
  }
  for (const [agent, before] of Object.entries(previous).sort(([a], [b]) => a.localeCompare(b))) {
    if (heldNow.has(agent)) continue;
    const total = handled.get(agent) ?? null;
    const releasedAt = before.releasedAt ?? nowMs;
    const handledAtRelease = before.handledAtRelease ?? total;
    const handledSince = total !== null && handledAtRelease !== null && total > handledAtRelease;
    if (total === null || handledSince || nowMs - releasedAt >= windowMs) {
      ended.push(agent);
      continue;
    }
    next[agent] = { since: before.since, releasedAt, handledAtRelease };
    carry.add(agent);
  }
  return { next, carry, started, ended };
}

/** Ids of the alerts in `firing` about the `agents` (their `agent_type` label). */
export function alertIdsOf(firing: FiringSet, agents: ReadonlySet<string>): Set<string> {
  return new Set(Object.entries(firing).filter(([, a]) => agents.has(a.labels.agent_type ?? '')).map(([id]) => id));
}

/**
 * The firing set without the alerts about `agents` — forgotten without a resolution (their incident was
 * already resolved elsewhere, by a plan's verification): a finding that persists raises a new alert (a new
 * episode, which reopens the incident) instead of being taken for the old one.
 */
export function forgetAgents(firing: FiringSet, agents: ReadonlySet<string>): FiringSet {
  if (agents.size === 0) return firing;
  return Object.fromEntries(Object.entries(firing).filter(([, a]) => !agents.has(a.labels.agent_type ?? '')));
}

/**
 * Agents whose incident a plan's verification resolved at `marks[agent]` (ms). Their alerts still firing
 * here are forgotten once a whole recent window has passed since then — the window then holds only what
 * happened after the resolution, so a finding that is still there is a failure that came back. A mark
 * whose agent has no firing alert any more is done (the alerts cleared by themselves).
 */
export function freshStarts(marks: Readonly<Record<string, number>>, firing: FiringSet, nowMs: number, windowMs: number): { forget: Set<string>; done: string[] } {
  const firingAgents = new Set(Object.values(firing).map((a) => a.labels.agent_type ?? ''));
  const forget = new Set<string>();
  const done: string[] = [];
  for (const [agent, at] of Object.entries(marks).sort(([a], [b]) => a.localeCompare(b))) {
    if (!firingAgents.has(agent)) done.push(agent);
    else if (nowMs - at >= windowMs) {
      forget.add(agent);
      done.push(agent);
    }
  }
  return { forget, done };
}
