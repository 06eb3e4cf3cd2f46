/**
 * The caveats of an incident's root, as mrkdwn lines (pure; our own words — runtime and source names from
 * the configuration are escaped): what is missing from the count, and how long nothing was heard.
 *   ⚠️ 250 alerts not shown: Alertmanager truncated the group and could not be asked (asking again until it answers)
 *   ⏳ No update for 3h 05m; Alertmanager could not confirm
 */
import type { Caveats, StaleCaveat } from '../../incidents/caveats.js';
import { truncationText } from '../../incidents/caveat-words.js';
import { formatDuration, type IncidentState } from '../../incidents/state.js';
import { mrkdwnSafe } from './incident-text.js';
import { escapeText, joinMd, md, type Mrkdwn } from './mrkdwn.js';

export { truncationReason, truncationText } from '../../incidents/caveat-words.js';

/** `No update for 3h 05m; Alertmanager could not confirm` (our words, notes escaped). */
export function staleText(s: StaleCaveat, nowMs: number): Mrkdwn {
  const notes = joinMd(s.notes.map((n) => mrkdwnSafe(n, 300)), '; ');
  return md`No update for ${escapeText(formatDuration(nowMs - s.lastUpdate))}${notes ? md`; ${notes}` : md``}`;
}

/**
 * The caveat lines of a root. A truncation caveat shows while the incident is not resolved; a stale one
 * only while nothing happened since it was found stale (any later update makes it moot).
 */
export function caveatLines(incident: { readonly state: IncidentState; readonly updatedAt: number; readonly caveats?: Caveats | undefined }, nowMs: number): Mrkdwn[] {
  const c = incident.caveats;
  if (!c || incident.state === 'resolved') return [];
  const lines: Mrkdwn[] = [];
  if (c.truncated) lines.push(md`⚠️ ${escapeText(truncationText(c.truncated))}`);
  if (c.stale && incident.updatedAt <= c.stale.lastUpdate) lines.push(md`⏳ ${staleText(c.stale, nowMs)}`);
  return lines;
}
