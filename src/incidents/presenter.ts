/**
 * How incidents are shown, owned by the incidents domain and implemented per chat platform (Slack:
 * src/slack/presenters/incidents.ts). The roles wire one in (`IncidentDeps.presenters`).
 */
import type { MessageText, MessageView } from '../view/message.js';
import type { Incident, StoredAlert, TimelineEntry } from './store.js';

export interface IncidentPresenter {
  /** The root of an incident's thread, edited in place as it changes. */
  root(incident: Incident, nowMs: number): MessageView;
  /** One thread reply for what changed (`claimed`: the timeline range it covers); undefined when nothing to say. */
  update(incident: Incident, entries: readonly TimelineEntry[], nowMs: number, details: readonly StoredAlert[], claimed?: { from: number; to: number }): MessageView | undefined;
  /** `/autogen incidents`: the open incidents, each with a link to its thread when its root's ts is known. */
  list(incidents: readonly (Incident & { rootTs?: string | undefined })[], nowMs: number): MessageView;
  /** "Same incident as…": the other open incidents of the channel to choose from. */
  mergeChoices(source: Incident, others: readonly Incident[], nowMs: number): MessageView;
  /** What both threads say after a merge. */
  mergeNotes(source: Incident, target: Incident, moved: number, by: string, rootTs: { source: string | null; target: string | null }): { source: MessageText; target: MessageText };
}
