/**
 * Channel routing: which Slack channel an incident's thread opens in, by severity and label rules.
 *
 * Rules are tried in order; the first whose conditions all hold wins; no match → the default channel.
 * Text form (ALERT_ROUTES): rules separated by `;`, each `conditions -> channel`, conditions separated by
 * `,`: `label=value`, `label!=value`, `severity>=level`, or `*` (always).
 *   `severity>=critical -> C0ONCALL; runtime=prod, team=search -> C0SEARCH; * -> C0ALERTS`
 */
import { SLACK_ID_RE } from '../identifiers.js';
import { SEVERITIES, SEVERITY_RANK, isSeverity, type Severity } from './severity.js';

export type RouteCondition =
  | { readonly kind: 'equals'; readonly label: string; readonly value: string }
  | { readonly kind: 'notEquals'; readonly label: string; readonly value: string }
  | { readonly kind: 'minSeverity'; readonly severity: Severity };

export interface RouteRule {
  /** All must hold; an empty list always matches. */
  readonly conditions: readonly RouteCondition[];
  /** Slack channel id the incident thread opens in. */
  readonly channel: string;
}

function holds(cond: RouteCondition, labels: Readonly<Record<string, string>>, severity: Severity): boolean {
  switch (cond.kind) {
    case 'equals':
      return labels[cond.label] === cond.value;
    case 'notEquals':
      return labels[cond.label] !== cond.value;
    case 'minSeverity':
      return SEVERITY_RANK[severity] >= SEVERITY_RANK[cond.severity];
  }
}

/** The channel for an incident opened by an alert with `labels` and `severity`. */
export function routeChannel(
  labels: Readonly<Record<string, string>>,
  severity: Severity,
  rules: readonly RouteRule[],
  defaultChannel: string,
): string {
  for (const rule of rules) {
    if (rule.conditions.every((c) => holds(c, labels, severity))) return rule.channel;
  }
  return defaultChannel;
}

const LABEL = /^[A-Za-z_][A-Za-z0-9_]*$/;

function parseCondition(text: string): RouteCondition | string {
  const sev = /^severity\s*>=\s*(\S+)$/.exec(text);
  if (sev) {
    const level = sev[1]!.toLowerCase();
    return isSeverity(level) ? { kind: 'minSeverity', severity: level } : `unknown severity "${sev[1]}" (use ${SEVERITIES.join(', ')})`;
  }
  const ne = /^([^=!\s]+)\s*!=\s*(.*)$/.exec(text);
  if (ne) {
    return LABEL.test(ne[1]!) ? { kind: 'notEquals', label: ne[1]!, value: ne[2]!.trim() } : `"${ne[1]}" is not a label name`;
  }
  const eq = /^([^=!\s]+)\s*=\s*(.*)$/.exec(text);
  if (eq) {
    return LABEL.test(eq[1]!) ? { kind: 'equals', label: eq[1]!, value: eq[2]!.trim() } : `"${eq[1]}" is not a label name`;
  }
  return `"${text}" is not label=value, label!=value, severity>=level or *`;
}

/** Parses the ALERT_ROUTES text form; every problem is reported. */
export function parseRoutes(text: string): { rules: RouteRule[]; problems: string[] } {
  const rules: RouteRule[] = [];
  const problems: string[] = [];
  for (const raw of text.split(';')) {
    const item = raw.trim();
    if (item === '') continue;
    const arrow = item.lastIndexOf('->');
    if (arrow === -1) {
      problems.push(`route "${item}" has no "-> channel"`);
      continue;
    }
    const channel = item.slice(arrow + 2).trim();
    if (!SLACK_ID_RE.test(channel)) problems.push(`route "${item}": "${channel}" is not a Slack channel id (like C0123ABCD)`);
    const conditions: RouteCondition[] = [];
    for (const c of item.slice(0, arrow).split(',')) {
      const cond = c.trim();
      if (cond === '*' || cond === '') continue;
      const parsed = parseCondition(cond);
      if (typeof parsed === 'string') problems.push(`route "${item}": ${parsed}`);
      else conditions.push(parsed);
    }
    rules.push({ conditions, channel });
  }
  return { rules, problems };
}
