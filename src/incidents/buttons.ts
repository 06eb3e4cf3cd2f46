/**
 * The incident buttons' protocol: their `action_id`s (prefix `incident:`) and the value each carries.
 * Owned by the incidents domain: the Slack renderer (src/slack/blocks/incident.ts) writes them, the
 * incident listener reads them.
 */
export const INCIDENT_ACTION_IDS = {
  acknowledge: 'incident:acknowledge',
  diagnose: 'incident:diagnose',
  resolve: 'incident:resolve',
  silence1h: 'incident:silence-1h',
  silence4h: 'incident:silence-4h',
  unsilence: 'incident:unsilence',
  /** "Same incident as…": the other open incidents of the channel to choose from (src/incidents/merge.ts). */
  sameAs: 'incident:same-as',
  /** The choice made in that list (a static_select; its option value carries both ids). */
  merge: 'incident:merge',
} as const;

/** What a button carries: the incident id and, for silences, the duration in seconds. */
export interface IncidentButtonValue {
  readonly i: string;
  readonly s?: number;
}
