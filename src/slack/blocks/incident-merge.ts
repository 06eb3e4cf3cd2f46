/**
 * Block Kit of "Same incident as…" (pure; src/incidents/merge.ts does the merge):
 * - `mergeChoices`: the ephemeral answer to the root's button — a static_select of the other open
 *   incidents of the channel (newest first, at most Slack's 100 options), or why there is none;
 * - `mergedLine`: the state line of a merged incident's root, linking the thread it went to;
 * - `mergeNotes`: the two thread replies that say what happened, each linking the other thread.
 * Incident titles are untrusted: plain_text in options, escaped (`link`, `escapeShort`) in mrkdwn.
 */
import type { Incident } from '../../incidents/store.js';
import { formatDuration } from '../../incidents/state.js';
import { plainSafeLine } from './incident-text.js';
import { INCIDENT_ACTION_IDS } from '../../incidents/buttons.js';
import { messageLink } from './message-link.js';
import { SLACK_USER_ID_RE } from '../../identifiers.js';
import { code, escapeShort, link, md, mention, type Mrkdwn } from './mrkdwn.js';
import type { Block, OptionObject } from './vocabulary.js';

/** Slack's most options of one static_select, and longest option text. */
const OPTIONS_MAX = 100;
const OPTION_TEXT_MAX = 75;

/** The option value of a choice: this incident (`i`) is the same as the chosen one (`t`). */
export interface MergeChoiceValue {
  readonly i: string;
  readonly t: string;
}

export interface MergeMessage {
  readonly text: Mrkdwn;
  readonly blocks: Block[];
}

function whoMd(by: string | null): Mrkdwn {
  return by && SLACK_USER_ID_RE.test(by) ? mention(by) : md`someone`;
}

/** A link to an incident's thread when its root is known, else its id. */
function threadRef(channel: string, id: string, rootTs: string | null, label: string): Mrkdwn {
  return rootTs ? link(messageLink(channel, rootTs), label) : code(id);
}

/** The choice offered under the root's "Same incident as…" button. */
export function mergeChoices(source: Incident, others: readonly Incident[], nowMs: number): MergeMessage {
  const candidates = others.filter((o) => o.id !== source.id && o.channel === source.channel && o.state !== 'resolved')
    .sort((a, b) => b.openedAt - a.openedAt).slice(0, OPTIONS_MAX);
  if (candidates.length === 0) {
    const text = md`No other open incident in this channel to merge ${code(source.id)} into.`;
    return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text, verbatim: true } }] };
  }
  const options = candidates.map((o): OptionObject => ({
    text: { type: 'plain_text', text: plainSafeLine(`${o.title || o.id} · ${o.alertsFiring} firing · ${formatDuration(nowMs - o.startedAt)}`, OPTION_TEXT_MAX), emoji: false },
    value: JSON.stringify({ i: source.id, t: o.id } satisfies MergeChoiceValue),
  }));
  const text = md`Which incident is ${escapeShort(source.title || source.id, 120)} the same as? Its alerts move there and this thread closes.`;
  return {
    text,
    blocks: [
      {
        type: 'section',
        block_id: `merge-${source.id}`,
        text: { type: 'mrkdwn', text, verbatim: true },
        accessory: { type: 'static_select', action_id: INCIDENT_ACTION_IDS.merge, placeholder: { type: 'plain_text', text: 'Same incident as…', emoji: true }, options },
      },
    ],
  };
}

/** The state line of a merged incident's root. */
export function mergedLine(channel: string, into: { readonly id: string; readonly rootTs: string | null }, by: string | null): Mrkdwn {
  return md`🔗 *Merged* into ${threadRef(channel, into.id, into.rootTs, 'this thread')} by ${whoMd(by)} — the same incident; follow it there`;
}

/** The replies posted into the source's and the target's threads. */
export function mergeNotes(source: Incident, target: Incident, moved: number, by: string, rootTs: { source: string | null; target: string | null }): { source: Mrkdwn; target: Mrkdwn } {
  return {
    source: md`🔗 ${whoMd(by)} marked this as the same incident as ${threadRef(target.channel, target.id, rootTs.target, target.title || target.id)}: its ${moved} alert(s) moved there and this thread is closed. Follow the other thread.`,
    target: md`🔗 ${whoMd(by)} merged ${threadRef(source.channel, source.id, rootTs.source, source.title || source.id)} into this incident: the same incident. ${moved} alert(s) joined; now ${target.alertsFiring} firing of ${target.alertsTotal}.`,
  };
}
