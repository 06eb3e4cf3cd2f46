/**
 * The incident state machine: open → acknowledged → mitigating → resolved.
 *
 * One transition table is the single source of truth: the pure `transition` below uses it, and the Redis
 * store hands the same table to its Lua scripts, so an alert-driven change (the last alert resolved, an
 * alert firing again) and a button click follow the same rules atomically.
 *
 *   event \ state    open           acknowledged   mitigating     resolved
 *   acknowledge      acknowledged   (same)         (same)         ✗
 *   mitigate         mitigating     mitigating     (same)         ✗
 *   unmitigate       (same)         (same)         open           (same)
 *   resolve          resolved       resolved       resolved       (same)
 *   alertsResolved   resolved       resolved       resolved       (same)
 *   refire           (same)         (same)         (same)         open
 *
 * `(same)` is a no-op (nothing posted); `✗` is refused with INCIDENT_TRANSITION_INVALID.
 *
 * `mitigating`: a recovery action (isolate, degrade, backpressure, …) is in force and the incident is
 * held, not fixed — an isolated agent is silent, not healthy. `unmitigate` is the mitigation ending
 * without a recovery (the action was not effective, or it was released and the symptom came back).
 */

export const INCIDENT_STATES = ['open', 'acknowledged', 'mitigating', 'resolved'] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

export const INCIDENT_EVENTS = ['acknowledge', 'mitigate', 'unmitigate', 'resolve', 'alertsResolved', 'refire'] as const;
export type IncidentEvent = (typeof INCIDENT_EVENTS)[number];

/** `next` state, `same` (no change) or `invalid`. */
export type TransitionOutcome = IncidentState | 'same' | 'invalid';

export const TRANSITIONS: Readonly<Record<IncidentEvent, Readonly<Record<IncidentState, TransitionOutcome>>>> = Object.freeze({
  acknowledge: { open: 'acknowledged', acknowledged: 'same', mitigating: 'same', resolved: 'invalid' },
  mitigate: { open: 'mitigating', acknowledged: 'mitigating', mitigating: 'same', resolved: 'invalid' },
  unmitigate: { open: 'same', acknowledged: 'same', mitigating: 'open', resolved: 'same' },
  resolve: { open: 'resolved', acknowledged: 'resolved', mitigating: 'resolved', resolved: 'same' },
  alertsResolved: { open: 'resolved', acknowledged: 'resolved', mitigating: 'resolved', resolved: 'same' },
  refire: { open: 'same', acknowledged: 'same', mitigating: 'same', resolved: 'open' },
});

export type Transition =
  | { readonly ok: true; readonly changed: boolean; readonly state: IncidentState }
  | { readonly ok: false; readonly state: IncidentState };

/** The state after `event` in `state`. */
export function transition(state: IncidentState, event: IncidentEvent): Transition {
  const outcome = TRANSITIONS[event][state];
  if (outcome === 'invalid') return { ok: false, state };
  if (outcome === 'same') return { ok: true, changed: false, state };
  return { ok: true, changed: true, state: outcome };
}

export function isIncidentState(value: string): value is IncidentState {
  return (INCIDENT_STATES as readonly string[]).includes(value);
}

/** Whether an incident in `state` still needs attention (listed by `/autogen incidents`). */
export function isActive(state: IncidentState): boolean {
  return state !== 'resolved';
}

/** Human words for a state, for the thread and the root message. */
export const STATE_LABEL: Readonly<Record<IncidentState, string>> = Object.freeze({
  open: 'Open',
  acknowledged: 'Acknowledged',
  mitigating: 'Mitigating',
  resolved: 'Resolved',
});

/** Duration in words: `45s`, `12m`, `3h 05m`, `2d 4h`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${s % 60 ? ` ${String(s % 60).padStart(2, '0')}s` : ''}`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  const d = Math.floor(h / 24);
  return `${d}d ${h % 24}h`;
}
