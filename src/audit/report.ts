/**
 * The audit log as people read it in Slack (`/autogen audit [id]`): one line per entry, newest last,
 * bounded to Slack's limits. Pure. The JSON export is `exportAuditJson` in `stream.ts`.
 */
import { escapeText } from '../slack/blocks/mrkdwn.js';
import { SLACK_LIMITS, truncate } from '../slack/blocks/limits.js';
import type { AuditEntry } from './stream.js';

function who(actor: string): string {
  return /^[UW][A-Z0-9]{2,}$/.test(actor) ? `<@${actor}>` : actor;
}

function target(data: Record<string, unknown>): string {
  const t = data.target;
  return typeof t === 'string' ? ` ${t}` : ' runtime';
}

/** One line for an entry: "03:05:01 <@U1> approved pl-… (agent-cascade-failure)". */
export function auditLine(e: AuditEntry): string {
  const time = e.at.slice(11, 19);
  const plan = e.plan_id ? ` \`${e.plan_id}\`` : '';
  const d = e.data;
  let what: string;
  switch (e.type) {
    case 'plan.proposed': what = `proposed${plan} (${e.runbook_id ?? '?'}, ${String(d.risk ?? '?')} risk, ${Array.isArray(d.actions) ? d.actions.length : 0} action(s))`; break;
    case 'plan.refreshed': what = `refreshed${plan}`; break;
    case 'plan.unavailable': what = `no plan: ${escapeText(JSON.stringify(d.reasons ?? d.reason ?? ''))}`; break;
    case 'plan.expired': what = `plan${plan} expired unapproved`; break;
    case 'approval.recorded': what = `approved${plan} (first of two)`; break;
    case 'approval.approved': what = `approved${plan}`; break;
    case 'approval.rejected': what = `rejected${plan}`; break;
    case 'approval.refused': what = `was refused on${plan}: ${String(d.code ?? '')}`; break;
    case 'action.executed': what = `${String(d.status ?? 'ran')} ${String(d.action ?? '')}${target(d)} — ${escapeText(JSON.stringify(d.before ?? {}))} → ${escapeText(JSON.stringify(d.after ?? {}))}`; break;
    case 'action.failed': what = `action ${String(d.action ?? '')}${target(d)} failed: ${escapeText(String(d.error ?? ''))}`; break;
    case 'action.blocked': what = `action ${String(d.action ?? '')}${target(d)} blocked: ${escapeText(String(d.error ?? ''))}`; break;
    case 'verify.passed': what = `verification of${plan} passed`; break;
    case 'verify.failed': what = `verification of${plan} failed`; break;
    case 'revert.executed': what = `reverted${plan} (${String(d.why ?? '')})`; break;
    case 'revert.kept': what = `kept${plan} (no revert at TTL)`; break;
    case 'escalated': what = `escalated${plan} to humans after ${Array.isArray(d.attempts) ? d.attempts.length : '?'} failed attempts`; break;
    case 'automation.switched': what = `switched automation ${d.enabled ? 'on' : 'off'}`; break;
    case 'automation.refused': what = 'was refused switching automation on (not an approver)'; break;
  }
  return `\`${time}\` ${who(e.actor)} ${what}`;
}

/** The ephemeral answer to `/autogen audit`: a header and the newest lines that fit. */
export function auditText(subject: string | null, entries: readonly AuditEntry[]): string {
  const head = subject ? `*Audit log of* \`${subject}\` (${entries.length} entries, oldest first)` : `*Audit log* — newest ${entries.length} entries`;
  if (entries.length === 0) return `${head}\nNo entries.`;
  const lines = entries.map(auditLine);
  // Keep the newest lines within Slack's message limit.
  const out: string[] = [];
  let size = head.length;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = truncate(lines[i] ?? '', 500);
    if (size + line.length + 1 > SLACK_LIMITS.sectionText * 3) {
      out.unshift(`…${i + 1} older entries (export with \`json\`)`);
      break;
    }
    out.unshift(line);
    size += line.length + 1;
  }
  return `${head}\n${out.join('\n')}`;
}
