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
