import { describe, expect, it } from 'vitest';
import type { Incident, StoredAlert, TimelineEntry } from '../../src/incidents/store.js';
import { INCIDENT_ACTION_IDS, incidentList, incidentRoot, incidentUpdate, messageLink } from '../../src/slack/blocks/incident.js';
import { isWellFormed } from '../../src/text/shorten.js';

const NOW = Date.parse('2025-01-01T10:30:00Z');
const base: Incident = {
  id: 'inc-abc123', key: 'k', title: 'ChatAgent error rate above 5 %', runtime: 'prod', agent: 'ChatAgent',
  agents: ['ChatAgent', 'PlannerAgent'], source: 'alertmanager', severity: 'critical', state: 'open', channel: 'C0ALERTS',
  openedAt: NOW - 12 * 60_000, startedAt: NOW - 12 * 60_000, updatedAt: NOW, resolvedAt: null, resolvedBy: null, ackedBy: null, mitigatedBy: null,
  silencedUntil: null, silencedBy: null, alertsTotal: 5, alertsFiring: 3, reopenedCount: 0, version: 7, diagnosedAt: null,
};
const HOSTILE = '<!channel> @here <@U0BOSS> <https://evil.example|log in> *bold* ```code``` ~x~';

/** Every string anywhere in the blocks. */
function strings(v: unknown): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.flatMap(strings);
  if (v && typeof v === 'object') return Object.values(v).flatMap(strings);
  return [];
}

/** Checks Slack's limits and that no untrusted control sequence survived. */
function assertSafe(msg: { text: string; blocks: Record<string, unknown>[] }): void {
  expect(msg.blocks.length).toBeLessThanOrEqual(50);
  expect(msg.text.length).toBeLessThanOrEqual(40_000);
  for (const b of msg.blocks) {
    const text = b.text as { text?: string } | undefined;
    if (text?.text) expect(text.text.length).toBeLessThanOrEqual(b.type === 'header' ? 150 : 3_000);
    for (const f of (b.fields as { text: string }[] | undefined) ?? []) expect(f.text.length).toBeLessThanOrEqual(2_000);
  }
  const all = [msg.text, ...strings(msg.blocks)].join('\n');
  expect(all).not.toMatch(/<!(channel|here|everyone)/);
  expect(all).not.toMatch(/<@U0BOSS>/);
  expect(all).not.toMatch(/<https:\/\/evil/);
  expect(all).not.toMatch(/@(here|channel)\b/);
  expect(isWellFormed(all)).toBe(true);
}

describe('incident root', () => {
  it('shows what, where, severity, since, alert counts and state, with the four controls', () => {
    const msg = incidentRoot(base, NOW);
    const all = strings(msg.blocks).join('\n');
    expect(all).toContain('ChatAgent error rate above 5 %');
    expect(all).toContain('runtime prod · agents ChatAgent, PlannerAgent');
    expect(all).toContain('critical');
    expect(all).toContain('3 firing · 5 in all');
    expect(all).toContain('12m ago');
    expect(all).toContain('*Open*');
    const actions = msg.blocks.find((b) => b.type === 'actions') as unknown as { elements: { action_id: string; value: string }[] };
    expect(actions.elements.map((e) => e.action_id)).toEqual([
      INCIDENT_ACTION_IDS.acknowledge, INCIDENT_ACTION_IDS.diagnose, INCIDENT_ACTION_IDS.resolve, INCIDENT_ACTION_IDS.sameAs, INCIDENT_ACTION_IDS.silence1h, INCIDENT_ACTION_IDS.silence4h,
    ]);
    expect(JSON.parse(actions.elements[4]!.value)).toEqual({ i: 'inc-abc123', s: 3600 });
    assertSafe(msg);
  });

  it('edited to resolved: the duration, who resolved it, no buttons', () => {
    const msg = incidentRoot({ ...base, state: 'resolved', resolvedAt: NOW, resolvedBy: 'U0ALICE', alertsFiring: 0 }, NOW + 60_000);
    const all = strings(msg.blocks).join('\n');
    expect(all).toContain('Resolved: ChatAgent error rate');
    expect(all).toContain('after *12m*');
    expect(all).toContain('<@U0ALICE>');
    expect(msg.blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(msg.text).toContain('Resolved after 12m');
  });

  it('acknowledged and silenced: no Acknowledge button, Unsilence instead of Silence', () => {
    const msg = incidentRoot({ ...base, state: 'acknowledged', ackedBy: 'U0BOB', silencedUntil: NOW + 3_600_000 }, NOW);
    const ids = (msg.blocks.find((b) => b.type === 'actions') as unknown as { elements: { action_id: string }[] }).elements.map((e) => e.action_id);
    expect(ids).toEqual([INCIDENT_ACTION_IDS.diagnose, INCIDENT_ACTION_IDS.resolve, INCIDENT_ACTION_IDS.sameAs, INCIDENT_ACTION_IDS.unsilence]);
    expect(strings(msg.blocks).join('\n')).toContain('silenced until');
  });

  it('mitigating says a recovery action holds the symptom back — not resolved; once back to open it says nothing of it', () => {
    const msg = incidentRoot({ ...base, state: 'mitigating', mitigatedBy: 'U0ALICE' }, NOW);
    const all = strings(msg.blocks).join('\n');
    expect(all).toContain('🛠️ *Mitigating* by <@U0ALICE> — a recovery action is in force; not resolved until the symptom is gone without it');
    expect(msg.text).toContain('Mitigating');
    expect(strings(incidentRoot({ ...base, state: 'mitigating', mitigatedBy: 'monitor' }, NOW).blocks).join('\n')).toContain('*Mitigating* by monitor');
    const reopened = strings(incidentRoot({ ...base, state: 'open', mitigatedBy: 'U0ALICE' }, NOW).blocks).join('\n');
    expect(reopened).toContain('*Open*');
    expect(reopened).not.toContain('Mitigating');
    expect(reopened).not.toContain('a recovery action is in force');
  });

  it('hostile and huge alert text stays inert and within limits', () => {
    const msg = incidentRoot({ ...base, title: HOSTILE + ' 告警'.repeat(5_000), runtime: '<!here>', agents: ['@channel'] }, NOW);
    assertSafe(msg);
  });
});

describe('incident thread update', () => {
  const entries: TimelineEntry[] = [
    { v: 8, at: NOW, k: 'firing', fp: 'a', t: 'HighErrorRate · ToolAgent — 12 %' },
    { v: 9, at: NOW, k: 'resolved', fp: 'b', t: 'SlowResponse · ChatAgent' },
    { v: 10, at: NOW, k: 'state', from: 'open', to: 'acknowledged', by: 'U0ALICE' },
  ];

  it('summarises alert changes and state changes in one reply', () => {
    const msg = incidentUpdate(base, entries, NOW, [], { from: 7, to: 10 });
    expect(msg).toBeDefined();
    const all = strings(msg!.blocks).join('\n');
    expect(all).toContain('🔥 1 firing');
    expect(all).toContain('✅ 1 resolved');
    expect(all).toContain('HighErrorRate · ToolAgent');
    expect(all).toContain('*Acknowledged* by <@U0ALICE>');
  });

  it('a storm of 500 changes is one bounded reply that counts what it does not list', () => {
    const many: TimelineEntry[] = Array.from({ length: 200 }, (_, i) => ({ v: 300 + i, at: NOW, k: 'firing', fp: `f${i}`, t: `${HOSTILE} ${i}` }));
    const msg = incidentUpdate(base, many, NOW, [], { from: 0, to: 500 })!;
    const all = strings(msg.blocks).join('\n');
    expect(all).toContain('🔥 200 firing');
    expect(all).toContain('300 earlier change(s) not listed');
    expect(all).toContain('… 188 more before these');
    assertSafe(msg);
  });

  it('shows alert details (description, labels) safely, 10 KB of Chinese included', () => {
    const detail: StoredAlert = {
      fingerprint: 'a', status: 'firing', startsAt: NOW, endsAt: null,
      detail: { labels: { alertname: 'HighErrorRate', note: HOSTILE }, annotations: { description: '智能体运行时出现故障，请检查依赖服务。'.repeat(600) }, generatorURL: null, source: 'am', groupKey: null },
    };
    const msg = incidentUpdate(base, entries.slice(0, 1), NOW, [detail])!;
    assertSafe(msg);
    expect(strings(msg.blocks).join('\n')).toContain('智能体运行时出现故障');
  });

  it('state changes say why (the plan and its verification), escaped', () => {
    const moves: TimelineEntry[] = [
      { v: 11, at: NOW, k: 'state', from: 'open', to: 'mitigating', by: 'U0ALICE', note: 'plan pl-1: isolate PlannerAgent (mode refuse)' },
      { v: 12, at: NOW, k: 'state', from: 'mitigating', to: 'open', by: 'verification', note: `plan pl-1: ChatAgent fails again ${HOSTILE}` },
      { v: 13, at: NOW, k: 'state', from: 'open', to: 'resolved', by: 'verification', note: 'plan pl-2: ChatAgent handles messages without failing.' },
    ];
    const msg = incidentUpdate({ ...base, state: 'resolved', resolvedAt: NOW, resolvedBy: 'verification' }, moves, NOW)!;
    const all = strings(msg.blocks).join('\n');
    expect(all).toContain('🛠️ *Mitigating* by <@U0ALICE> — plan pl-1: isolate PlannerAgent (mode refuse).');
    expect(all).toContain('🚨 *Open* by verification — plan pl-1: ChatAgent fails again');
    expect(all).toContain('✅ *Resolved* after 12m (verification) — plan pl-2: ChatAgent handles messages without failing.');
    assertSafe(msg);
  });

  it('nothing new → no reply', () => {
    expect(incidentUpdate(base, [], NOW, [], { from: 3, to: 3 })).toBeUndefined();
  });
});

describe('incident list', () => {
  it('lists open incidents, most severe first, with links to their threads', () => {
    const msg = incidentList([
      { ...base, id: 'inc-w', severity: 'warning', title: 'Slow' },
      { ...base, id: 'inc-c', title: HOSTILE, rootTs: '1735725600.000100' },
    ], NOW);
    const all = strings(msg.blocks).join('\n');
    expect(all.indexOf('inc-c')).toBeLessThan(all.indexOf('inc-w'));
    expect(all).toContain(`<${messageLink('C0ALERTS', '1735725600.000100')}|`);
    assertSafe(msg);
    expect(incidentList([], NOW).text).toContain('No open incidents');
  });
});
