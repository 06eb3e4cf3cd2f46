/**
 * `/autogen audit [incident|plan] [json]` — the append-only record of response automation: who asked, who
 * approved, what ran with which parameters, before/after, outcome, times. Shown to you (ephemeral), or
 * exported as a JSON file in the channel with `json`.
 */
import { OpsError } from '../../errors.js';
import { code, escapeText, md } from '../blocks/mrkdwn.js';
import type { Subcommand } from './types.js';

const SUBJECT = /^(inc|pl)-[a-z0-9-]{1,60}$/;

export const audit: Subcommand = {
  name: 'audit',
  usage: 'audit [incident|plan] [json]',
  summary: 'show who asked, approved and ran what for an incident or plan (json: export as a file)',
  parse(args, ctx) {
    const words = [...args];
    const json = words[words.length - 1]?.toLowerCase() === 'json';
    if (json) words.pop();
    if (words.length > 1) {
      return { ok: false, error: new OpsError('COMMAND_USAGE', { usage: this.usage }, { detail: md`Type ${code(`${ctx.config.slack.command} ${this.usage}`)}.` }) };
    }
    const subject = words[0];
    if (subject !== undefined && !SUBJECT.test(subject)) {
      return { ok: false, error: new OpsError('AUDIT_SUBJECT_INVALID', { subject: subject.slice(0, 60) }, { detail: md`Got ${code(subject.slice(0, 60))}.` }) };
    }
    return {
      ok: true,
      ack: escapeText(json ? `📦 Exporting the audit log${subject ? ` of \`${subject}\`` : ''} as JSON to this channel…` : `📜 Reading the audit log${subject ? ` of \`${subject}\`` : ''}…`),
      job: {
        queue: 'respond',
        jobId: `audit-${ctx.requestId}`,
        payload: { kind: 'audit', ...(subject ? { subject } : {}), json, user: ctx.user, channel: ctx.channel, requested_at: ctx.now.toISOString() },
      },
    };
  },
};
