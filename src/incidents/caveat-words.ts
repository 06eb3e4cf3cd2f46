/** The words of an incident's caveats (plain text; presenters escape them). */
import type { TruncatedCaveat } from './caveats.js';

/** Why the rest of a truncated group is not known, in words. */
export function truncationReason(t: Pick<TruncatedCaveat, 'reason'>): string {
  return t.reason === 'not-configured'
    ? 'Alertmanager truncated the group and could not be asked (ALERTMANAGER_URL is not set)'
    : 'Alertmanager truncated the group and could not be asked (asking again until it answers)';
}

/** `250 alerts not shown: Alertmanager truncated the group and could not be asked …` (plain words). */
export function truncationText(t: TruncatedCaveat): string {
  return `${t.count} alert${t.count === 1 ? '' : 's'} not shown: ${truncationReason(t)}`;
}
