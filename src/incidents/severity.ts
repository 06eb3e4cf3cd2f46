/**
 * Severity of an alert from its labels, and of an incident from its alerts (the highest seen).
 */

export const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** Higher is more severe. */
export const SEVERITY_RANK: Readonly<Record<Severity, number>> = Object.freeze({
  critical: 4,
  error: 3,
  warning: 2,
  info: 1,
});

/** Spellings seen in the wild (Prometheus rules, PagerDuty, Grafana, Opsgenie), lower-cased. */
const ALIASES: Readonly<Record<string, Severity>> = Object.freeze({
  critical: 'critical', crit: 'critical', fatal: 'critical', emergency: 'critical', emerg: 'critical',
  page: 'critical', p1: 'critical', sev1: 'critical', disaster: 'critical', alert: 'critical',
  error: 'error', err: 'error', high: 'error', major: 'error', p2: 'error', sev2: 'error',
  warning: 'warning', warn: 'warning', medium: 'warning', minor: 'warning', p3: 'warning', sev3: 'warning',
  info: 'info', informational: 'info', low: 'info', notice: 'info', none: 'info', p4: 'info', p5: 'info',
  sev4: 'info', debug: 'info',
});

/** Label names read for severity, first present wins. */
export const SEVERITY_LABELS = ['severity', 'priority', 'level'] as const;

/** The severity an alert's labels state; `fallback` when none is stated or the spelling is unknown. */
export function severityFromLabels(labels: Readonly<Record<string, string>>, fallback: Severity = 'warning'): Severity {
  for (const name of SEVERITY_LABELS) {
    const raw = labels[name];
    if (raw === undefined || raw === '') continue;
    const known = ALIASES[raw.trim().toLowerCase()];
    if (known) return known;
  }
  return fallback;
}

/** The more severe of two. */
export function maxSeverity(a: Severity, b: Severity): Severity {
  return SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}
