/**
 * Block Kit for incident threads (pure; pass `now` in):
 * - `incidentRoot`: the thread's root — what, where, severity, since when, how many alerts, state — edited
 *   in place as the incident changes, and edited to "resolved" with the duration at the end. Buttons:
 *   Acknowledge, Diagnose again, Resolve, Silence (1 h / 4 h) or Unsilence.
 * - `incidentUpdate`: one coalesced thread reply with what changed since the last one.
 * - `incidentList`: the `/autogen incidents` answer.
 *
 * Every untrusted value (labels, annotations, titles, runtime and agent names from alerts) goes into
 * `plain_text` objects through `plainSafe*`; mrkdwn only carries our own words, enums, user ids and
 * dates. The notification `text` goes through `mrkdwnSafe`.
 */
import type { Incident, StoredAlert, TimelineEntry } from '../../incidents/store.js';
import { isDotOrSpace, trimTrailing } from '../../text/trim.js';
import { STATE_LABEL, formatDuration, type IncidentState } from '../../incidents/state.js';
import type { Severity } from '../../incidents/severity.js';
import { SLACK_LIMITS } from './limits.js';
import { mrkdwnSafe, plainSafe, plainSafeLine } from './incident-text.js';
import { caveatLines } from './incident-caveats.js';
import { mergedLine } from './incident-merge.js';
import { messageLink } from './message-link.js';
import { INCIDENT_ACTION_IDS, type IncidentButtonValue } from '../../incidents/buttons.js';
import { code, escapeText, joinMd, link, md, mention, slackDate as slackDateMd, truncateMd, visibleText, withoutBold, type Mrkdwn } from './mrkdwn.js';
import { shorten } from '../../text/shorten.js';
import { SLACK_USER_ID_RE } from '../../identifiers.js';
import type { Block, ButtonElement, MrkdwnObject, PlainTextObject } from './vocabulary.js';

export { INCIDENT_ACTION_IDS, type IncidentButtonValue } from '../../incidents/buttons.js';
export { messageLink } from './message-link.js';

export interface SlackMessage {
  readonly text: Mrkdwn;
  readonly blocks: Block[];
}

const SEVERITY_EMOJI: Readonly<Record<Severity, string>> = { critical: '🔴', error: '🟠', warning: '🟡', info: '🔵' };
const STATE_EMOJI: Readonly<Record<IncidentState, string>> = { open: '🚨', acknowledged: '👀', mitigating: '🛠️', resolved: '✅' };

/** Most alert lines listed in one thread update. */
export const UPDATE_LINES_MAX = 12;
/** Most alerts shown with their details (description, labels) in one thread update. */
export const UPDATE_DETAILS_MAX = 3;

const plain = (text: string, max: number = SLACK_LIMITS.sectionText): PlainTextObject => ({ type: 'plain_text', text: plainSafe(text, max), emoji: false });
const mrkdwn = (text: Mrkdwn): MrkdwnObject => ({ type: 'mrkdwn', text: truncateMd(text, SLACK_LIMITS.sectionText), verbatim: true });

/** Slack's localized date (our own control sequence; the fallback is UTC). */
function slackDate(ms: number): Mrkdwn {
  const fallback = new Date(ms).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
  return slackDateMd(ms / 1000, '{date_short_pretty} {time}', fallback);
}

/** A user mention only for a Slack user id (the bot's own names, e.g. `monitor`, are shown as words). */
function who(by: string | null | undefined): Mrkdwn {
  if (!by) return md`all alerts resolved`;
  return SLACK_USER_ID_RE.test(by) ? mention(by) : mrkdwnSafe(by, 60);
}

function where(incident: Incident): string {
  const parts: string[] = [];
  if (incident.runtime) parts.push(`runtime ${incident.runtime}`);
  if (incident.agents.length > 0) parts.push(`${incident.agents.length > 1 ? 'agents' : 'agent'} ${incident.agents.join(', ')}`);
  else if (incident.agent) parts.push(`agent ${incident.agent}`);
  return parts.length > 0 ? parts.join(' · ') : `source ${incident.source}`;
}

function button(actionId: string, label: string, value: IncidentButtonValue, style?: 'primary' | 'danger'): ButtonElement {
  return { type: 'button', action_id: actionId, text: { type: 'plain_text', text: label, emoji: true }, value: JSON.stringify(value), ...(style ? { style } : {}) };
}

function rootButtons(incident: Incident, nowMs: number): Block | undefined {
  if (incident.state === 'resolved') return undefined;
  const v = { i: incident.id };
  const silenced = incident.silencedUntil !== null && incident.silencedUntil > nowMs;
  const elements = [
    ...(incident.state === 'open' ? [button(INCIDENT_ACTION_IDS.acknowledge, 'Acknowledge', v, 'primary')] : []),
    button(INCIDENT_ACTION_IDS.diagnose, 'Diagnose again', v),
    button(INCIDENT_ACTION_IDS.resolve, 'Resolve', v, 'danger'),
    button(INCIDENT_ACTION_IDS.sameAs, 'Same incident as…', v),
    ...(silenced
      ? [button(INCIDENT_ACTION_IDS.unsilence, 'Unsilence', v)]
      : [button(INCIDENT_ACTION_IDS.silence1h, 'Silence 1 h', { i: incident.id, s: 3_600 }), button(INCIDENT_ACTION_IDS.silence4h, 'Silence 4 h', { i: incident.id, s: 14_400 })]),
  ];
  return { type: 'actions', block_id: `incident-${incident.id}`, elements };
}

/** Mitigating is not fixed: a recovery action holds the symptom back while the cause may remain. */
function mitigatingLine(incident: Incident): Mrkdwn {
  return md`${incident.mitigatedBy ? md` by ${who(incident.mitigatedBy)}` : md``} — a recovery action is in force; not resolved until the symptom is gone without it`;
}

/** The root message of an incident's thread. */
export function incidentRoot(incident: Incident, nowMs: number): SlackMessage {
  const resolved = incident.state === 'resolved';
  const sev = SEVERITY_EMOJI[incident.severity];
  const title = incident.title || 'Alert';
  const headline = incident.mergedInto ? `🔗 Same incident as another: ${title}` : resolved ? `✅ Resolved: ${title}` : `${sev} ${title}`;
  const duration = formatDuration((incident.resolvedAt ?? nowMs) - incident.startedAt);
  const stateLine = incident.mergedInto
    ? mergedLine(incident.channel, incident.mergedInto, incident.resolvedBy)
    : resolved
    ? md`${escapeText(STATE_EMOJI.resolved)} *Resolved* after *${escapeText(duration)}* (${who(incident.resolvedBy)})`
    : md`${escapeText(STATE_EMOJI[incident.state])} *${escapeText(STATE_LABEL[incident.state])}*${incident.ackedBy ? md` · acknowledged by ${who(incident.ackedBy)}` : md``}${incident.state === 'mitigating' ? mitigatingLine(incident) : md``}`;
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: plainSafeLine(headline, SLACK_LIMITS.headerText), emoji: true } },
    { type: 'section', text: mrkdwn(stateLine) },
    {
      type: 'section',
      fields: [
        mrkdwn(md`*Severity*\n${escapeText(`${sev} ${incident.severity}`)}`),
        mrkdwn(md`*Since*\n${slackDate(incident.startedAt)} (${escapeText(resolved ? duration : `${duration} ago`)})`),
        mrkdwn(md`*Alerts*\n${incident.alertsFiring} firing · ${incident.alertsTotal} in all`),
        plain(`Where\n${where(incident)}`, 1_900),
      ],
    },
  ];
  const caveats = caveatLines(incident, nowMs);
  if (caveats.length > 0) blocks.push({ type: 'section', text: mrkdwn(joinMd(caveats, '\n')) });
  const notes: Mrkdwn[] = [md`Incident ${code(incident.id)}`];
  if (incident.silencedUntil !== null && incident.silencedUntil > nowMs && !resolved) notes.push(md`🔕 thread updates silenced until ${slackDate(incident.silencedUntil)}`);
  if (incident.reopenedCount > 0) notes.push(md`reopened ${incident.reopenedCount}×`);
  blocks.push({ type: 'context', elements: [mrkdwn(joinMd(notes, ' · '))] });
  const actions = rootButtons(incident, nowMs);
  if (actions) blocks.push(actions);
  const text = resolved
    ? md`✅ Resolved after ${escapeText(duration)}: ${mrkdwnSafe(incident.title, 200)}`
    : md`${escapeText(`${sev} ${incident.severity.toUpperCase()} ${STATE_LABEL[incident.state]}`)}: ${mrkdwnSafe(incident.title, 200)} (${incident.alertsFiring} firing)`;
  return { text, blocks };
}

function entryLine(e: TimelineEntry): string | undefined {
  switch (e.k) {
    case 'firing':
      return `🔥 ${e.t ?? e.fp ?? 'alert'}`;
    case 'resolved':
      return `✅ ${e.t ?? e.fp ?? 'alert'}`;
    default:
      return undefined;
  }
}

/** A state change's note (e.g. which plan, what the verification saw), escaped. */
function noteOf(e: TimelineEntry): Mrkdwn {
  const note = e.note === undefined ? '' : trimTrailing(e.note, isDotOrSpace);
  return note ? md` — ${mrkdwnSafe(note, 600)}` : md``;
}

function stateEntry(e: TimelineEntry, incident: Incident, nowMs: number): Mrkdwn | undefined {
  switch (e.k) {
    case 'reopened':
      return md`🔁 *Reopened*: an alert fired again.`;
    case 'state':
      if (e.to === 'resolved') {
        const duration = formatDuration((incident.resolvedAt ?? nowMs) - incident.startedAt);
        return md`✅ *Resolved* after ${escapeText(duration)} (${who(e.by)})${noteOf(e)}.`;
      }
      return md`${escapeText(STATE_EMOJI[(e.to ?? 'open') as IncidentState] ?? '•')} *${escapeText(STATE_LABEL[(e.to ?? 'open') as IncidentState] ?? e.to ?? '')}* by ${who(e.by)}${noteOf(e)}.`;
    case 'caveat':
      return e.note ? md`⚠️ ${mrkdwnSafe(e.note, 600)}.` : undefined;
    case 'silence':
      return e.until && e.until > 0 ? md`🔕 Thread updates silenced until ${slackDate(e.until)} by ${who(e.by)}.` : md`🔔 Unsilenced by ${who(e.by)}.`;
    default:
      return undefined;
  }
}

/** Labels as `name=value` lines (untrusted, for a plain_text object). */
function labelLines(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join('\n');
}

/** One coalesced thread reply: the state changes and alert changes since the last reply. */
export function incidentUpdate(
  incident: Incident,
  entries: readonly TimelineEntry[],
  nowMs: number,
  details: readonly StoredAlert[] = [],
  claimed?: { from: number; to: number },
): SlackMessage | undefined {
  const blocks: Block[] = [];
  const states = entries.map((e) => stateEntry(e, incident, nowMs)).filter((s): s is Mrkdwn => s !== undefined);
  const alertEntries = entries.filter((e) => e.k === 'firing' || e.k === 'resolved');
  const fired = alertEntries.filter((e) => e.k === 'firing').length;
  const cleared = alertEntries.length - fired;
  // Entries may have been dropped from the capped timeline during a storm: count them too.
  const claimedChanges = claimed ? claimed.to - claimed.from : entries.length;
  const missing = Math.max(0, claimedChanges - new Set(entries.map((e) => e.v)).size);

  if (alertEntries.length > 0 || missing > 0) {
    const counts = [fired > 0 ? `🔥 ${fired} firing` : '', cleared > 0 ? `✅ ${cleared} resolved` : '', missing > 0 ? `${missing} earlier change(s) not listed` : '']
      .filter((s) => s !== '').join(' · ');
    blocks.push({ type: 'section', text: mrkdwn(md`*Alerts* — ${escapeText(counts)} · now ${incident.alertsFiring} firing of ${incident.alertsTotal}`) });
    const lines = alertEntries.slice(-UPDATE_LINES_MAX).map(entryLine).filter((l): l is string => l !== undefined);
    if (alertEntries.length > UPDATE_LINES_MAX) lines.unshift(`… ${alertEntries.length - UPDATE_LINES_MAX} more before these`);
    if (lines.length > 0) blocks.push({ type: 'section', text: plain(lines.join('\n')) });
  }
  for (const a of details.slice(0, UPDATE_DETAILS_MAX)) {
    const name = a.detail.labels.alertname ?? a.fingerprint;
    const description = a.detail.annotations.description ?? a.detail.annotations.message ?? '';
    blocks.push({ type: 'divider' });
    blocks.push({ type: 'section', text: plain(`${a.status === 'firing' ? '🔥' : '✅'} ${name}${description ? `\n${description}` : ''}`) });
    blocks.push({ type: 'context', elements: [plain(labelLines(a.detail.labels), 1_900)] });
  }
  for (const s of states) blocks.push({ type: 'section', text: mrkdwn(s) });
  if (blocks.length === 0) return undefined;
  // The fallback: the state lines without bold (dropping `*` from mrkdwn cannot form markup), then the counts.
  const textParts: Mrkdwn[] = [...states.map((s) => withoutBold(s)), ...(fired || cleared ? [md`${fired} firing, ${cleared} resolved`] : [])];
  const text = textParts.length > 0 ? truncateMd(joinMd(textParts, ' · '), 3_000) : md`Incident update`;
  return { text, blocks: blocks.slice(0, SLACK_LIMITS.blocksPerMessage) };
}


/** The `/autogen incidents` answer: open incidents, most severe first, each with a link to its thread. */
export function incidentList(incidents: readonly (Incident & { rootTs?: string | undefined })[], nowMs: number): SlackMessage {
  if (incidents.length === 0) return { text: md`✅ No open incidents.`, blocks: [{ type: 'section', text: mrkdwn(md`✅ *No open incidents.*`) }] };
  const rank: Record<Severity, number> = { critical: 0, error: 1, warning: 2, info: 3 };
  const sorted = [...incidents].sort((a, b) => rank[a.severity] - rank[b.severity] || a.startedAt - b.startedAt);
  const shown = sorted.slice(0, 20);
  const blocks: Block[] = [{ type: 'section', text: mrkdwn(md`*${incidents.length} open incident${escapeText(incidents.length > 1 ? 's' : '')}*`) }];
  for (const inc of shown) {
    const title = shorten(visibleText(inc.title || inc.id).replace(/\s+/g, ' ').trim(), 120);
    const shownTitle = inc.rootTs ? link(messageLink(inc.channel, inc.rootTs), title) : escapeText(title);
    blocks.push({
      type: 'section',
      text: mrkdwn(md`${escapeText(SEVERITY_EMOJI[inc.severity])} ${shownTitle}\n${escapeText(`${STATE_EMOJI[inc.state]} ${STATE_LABEL[inc.state]}`)} · ${inc.alertsFiring} firing · since ${escapeText(formatDuration(nowMs - inc.startedAt))} · ${code(inc.id)}`),
    });
  }
  if (sorted.length > shown.length) blocks.push({ type: 'context', elements: [mrkdwn(md`… and ${sorted.length - shown.length} more`)] });
  return { text: md`${incidents.length} open incident(s)`, blocks };
}
