/** Block Kit of "Same incident as…": the choice, the merged root and the notes; hostile titles stay inert. */
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../src/incidents/store.js';
import { INCIDENT_ACTION_IDS, incidentRoot } from '../../src/slack/blocks/incident.js';
import { mergeChoices, mergeNotes } from '../../src/slack/blocks/incident-merge.js';

const NOW = Date.parse('2025-01-01T10:30:00Z');
const HOSTILE = '<!channel> @here <@U0BOSS> <https://evil.example|log in> *bold*';
const inc = (id: string, extra: Partial<Incident> = {}): Incident => ({
  id, key: 'k', title: `${id} down`, runtime: 'prod', agent: 'A', agents: ['A'], source: 'am', severity: 'warning', state: 'open', channel: 'C0ALERTS',
  openedAt: NOW - 60_000, startedAt: NOW - 60_000, updatedAt: NOW, resolvedAt: null, resolvedBy: null, ackedBy: null, mitigatedBy: null,
  silencedUntil: null, silencedBy: null, alertsTotal: 1, alertsFiring: 1, reopenedCount: 0, version: 1, diagnosedAt: null, ...extra,
});
const all = (v: unknown): string => JSON.stringify(v);

describe('same incident as… blocks', () => {
  it('offers only the other open incidents of the same channel, newest first, at most 100, titles as plain text', () => {
    const source = inc('inc-src');
    const others = [
      inc('inc-old', { openedAt: NOW - 300_000 }), inc('inc-new', { title: HOSTILE }), inc('inc-done', { state: 'resolved' }),
      inc('inc-elsewhere', { channel: 'C0OTHER' }), source,
      ...Array.from({ length: 120 }, (_, i) => inc(`inc-x${i}`, { openedAt: NOW - 400_000 - i })),
    ];
    const msg = mergeChoices(source, others, NOW);
    const select = ((msg.blocks[0] as { accessory?: unknown }).accessory as { action_id: string; options: { text: { type: string; text: string }; value: string }[] });
    expect(select.action_id).toBe(INCIDENT_ACTION_IDS.merge);
    expect(select.options).toHaveLength(100);
    expect(JSON.parse(select.options[0]!.value)).toEqual({ i: 'inc-src', t: 'inc-new' });
    expect(JSON.parse(select.options[1]!.value)).toEqual({ i: 'inc-src', t: 'inc-old' });
    expect(select.options.every((o) => o.text.type === 'plain_text' && o.text.text.length <= 75)).toBe(true);
    expect(all(msg)).not.toMatch(/inc-done|inc-elsewhere|<!channel>|<@U0BOSS>|<https:\/\/evil/);
    expect(mergeChoices(source, [source], NOW).text).toContain('No other open incident');
  });

  it('the merged root links the thread it went to and has no buttons; the notes link each other and escape titles', () => {
    const merged = inc('inc-src', { state: 'resolved', resolvedAt: NOW, resolvedBy: 'U0ONCALL', mergedInto: { id: 'inc-dst', rootTs: '1700000000.000100' } });
    const root = incidentRoot(merged, NOW);
    expect(all(root.blocks)).toContain('*Merged* into <https://slack.com/archives/C0ALERTS/p1700000000000100|this thread> by <@U0ONCALL>');
    expect(root.blocks.some((b) => b.type === 'actions')).toBe(false);
    const notes = mergeNotes(inc('inc-src', { title: HOSTILE }), inc('inc-dst', { title: HOSTILE, alertsFiring: 2, alertsTotal: 2 }), 1, 'U0ONCALL', { source: '1.000100', target: '2.000200' });
    expect(notes.source).toContain('https://slack.com/archives/C0ALERTS/p2000200');
    expect(notes.target).toContain('https://slack.com/archives/C0ALERTS/p1000100');
    expect(notes.target).toContain('now 2 firing of 2');
    expect(notes.source + notes.target).not.toMatch(/<!channel>|<@U0BOSS>|<https:\/\/evil/);
  });
});
