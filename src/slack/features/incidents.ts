/**
 * Incidents from alerts: `/autogen incidents` and the `incident:` buttons and menu on an incident's root
 * message. The worker side is `handlers/alert.ts` (src/incidents); its presenter
 * `src/slack/presenters/incidents.ts`.
 */
import { incidents } from '../commands/incidents.js';
import { INCIDENT_ACTION_PREFIX, registerIncidentActions } from '../listeners/incident-actions.js';
import type { Feature } from './feature.js';

export const incidentsFeature: Feature = {
  name: 'incidents',
  subcommands: [incidents],
  actionPrefixes: [INCIDENT_ACTION_PREFIX],
  shortcuts: [],
  events: [],
  register: registerIncidentActions,
};
