/**
 * Words for an alert: the incident title it would give, and the one-line timeline entry it makes.
 * Untrusted text is only shortened here; escaping for Slack happens in the Block Kit builders.
 */
import type { NormalizedAlert } from './alert.js';
import { shorten } from '../text/shorten.js';

export const TITLE_MAX = 150;
export const LINE_MAX = 300;

/** The alert's name: `alertname`, else its summary, else its fingerprint. */
export function alertName(alert: Pick<NormalizedAlert, 'labels' | 'annotations' | 'fingerprint'>): string {
  return alert.labels.alertname ?? alert.annotations.summary ?? alert.fingerprint;
}

/** Incident title when this alert opens one: the summary if any, else the alert name; one line. */
export function incidentTitle(alert: Pick<NormalizedAlert, 'labels' | 'annotations' | 'fingerprint'>): string {
  const text = alert.annotations.summary ?? alert.annotations.title ?? alertName(alert);
  return shorten(text.replace(/\s+/g, ' ').trim(), TITLE_MAX);
}

/** One line for the timeline: `Name · agent — summary`. */
export function alertLine(alert: Pick<NormalizedAlert, 'labels' | 'annotations' | 'fingerprint'>, agentLabel: string | null): string {
  const name = alertName(alert);
  const summary = alert.annotations.summary ?? alert.annotations.description ?? '';
  const where = agentLabel ? ` · ${agentLabel}` : '';
  const tail = summary !== '' && summary !== name ? ` — ${summary}` : '';
  return shorten(`${name}${where}${tail}`.replace(/\s+/g, ' ').trim(), LINE_MAX);
}
