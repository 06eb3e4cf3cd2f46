/**
 * The audit log as people read it in Slack (`/autogen audit [id]`): one line per entry, newest last,
 * bounded to Slack's limits. Pure. Every value read from an entry (ids, targets, errors, states) is escaped
 * by the one escaper; only user ids become mentions. The JSON export is `exportAuditJson` in `src/audit/stream.ts`.
 */
import { code, escapeText, joinMd, md, mention, truncateMd, type Mrkdwn } from './mrkdwn.js';
import { SLACK_LIMITS } from './limits.js';
import type { AuditEntry } from '../../audit/stream.js';

const text = (v: unknown): Mrkdwn => escapeText(typeof v === 'string' ? v : JSON.stringify(v ?? ''));
const str = (v: unknown, otherwise: string): Mrkdwn => escapeText(v === undefined || v === null ? otherwise : String(v));

/** The names of the agents an action acts on as people name them (`agents`, e.g. `support/triage`); entries written before names were recorded: its target. */
function namesIn(a: Record<string, unknown> | undefined): string[] {
  if (Array.isArray(a?.agents)) return a.agents.filter((n): n is string => typeof n === 'string');
  if (typeof a?.agent === 'string') return [a.agent];
  return typeof a?.target === 'string' ? [a.target] : [];
}

const listed = (names: readonly string[]): Mrkdwn =>
  md`${joinMd(names.slice(0, 5).map((n) => escapeText(n)), ', ')}${names.length > 5 ? md` and ${names.length - 5} more` : md``}`;

/** The bridge's before/after of an action, its agent types shown by the names the entry records beside them. */
function state(v: unknown, data: Record<string, unknown>): Mrkdwn {
  const types = Array.isArray(data.agent_types) ? data.agent_types : [];
  const names = Array.isArray(data.agents) ? data.agents : [];
  const byType = new Map<unknown, unknown>(types.map((t, i) => [t, names[i] ?? t]));
  return text(JSON.stringify(v ?? {}, (_k, x: unknown) => (typeof x === 'string' && byType.has(x) ? byType.get(x) : x)));
}

/** What an action entry acted on: its target by name, or the runtime (with the agents a runtime step sheds). */
function target(data: Record<string, unknown>): Mrkdwn {
  const t = typeof data.agent === 'string' ? data.agent : data.target;
  if (typeof t === 'string') return md` ${escapeText(t)}`;
  const names = namesIn(data);
  return names.length ? md` runtime (agents ${listed(names)})` : md` runtime`;
}

/** " on a, b" — the agents a plan's actions are about, as people name them; nothing when none is named. */
function agentsOf(data: Record<string, unknown>): Mrkdwn {
  const actions = Array.isArray(data.actions) ? (data.actions as Record<string, unknown>[]) : [];
  const names = [...new Set(actions.flatMap((a) => namesIn(a)))];
  return names.length ? md` on ${listed(names)}` : md``;
}

/** One line for an entry: "03:05:01 <@U1> approved pl-… (agent-cascade-failure)". */
export function auditLine(e: AuditEntry): Mrkdwn {
  const time = code(e.at.slice(11, 19));
  const plan = e.plan_id ? md` ${code(e.plan_id)}` : md``;
  const d = e.data;
  let what: Mrkdwn;
  switch (e.type) {
    case 'plan.proposed': what = md`proposed${plan} (${str(e.runbook_id, '?')}, ${str(d.risk, '?')} risk, ${Array.isArray(d.actions) ? d.actions.length : 0} action(s)${agentsOf(d)})`; break;
    case 'plan.refreshed': what = md`refreshed${plan}`; break;
    case 'plan.unavailable': what = md`no plan: ${text(JSON.stringify(d.reasons ?? d.reason ?? ''))}`; break;
    case 'plan.expired': what = md`plan${plan} expired unapproved`; break;
    case 'approval.recorded': what = md`approved${plan} (first of two)`; break;
    case 'approval.approved': what = md`approved${plan}`; break;
    case 'approval.rejected': what = md`rejected${plan}`; break;
    case 'approval.refused': what = md`was refused on${plan}: ${str(d.code, '')}`; break;
    case 'action.executed': what = md`${str(d.status, 'ran')} ${str(d.action, '')}${target(d)} — ${state(d.before, d)} → ${state(d.after, d)}`; break;
    case 'action.failed': what = md`action ${str(d.action, '')}${target(d)} failed: ${str(d.error, '')}`; break;
    case 'action.blocked': what = md`action ${str(d.action, '')}${target(d)} blocked: ${str(d.error, '')}`; break;
    case 'verify.passed': what = md`verification of${plan} passed`; break;
    case 'verify.failed': what = md`verification of${plan} failed`; break;
    case 'revert.executed': what = md`reverted${plan}${agentsOf(d)} (${str(d.why, '')})`; break;
    case 'revert.kept': what = md`kept${plan} (no revert at TTL)`; break;
    case 'escalated': what = md`escalated${plan} to humans after ${Array.isArray(d.attempts) ? d.attempts.length : md`?`} failed attempts`; break;
    case 'automation.switched': what = md`switched automation ${d.enabled ? md`on` : md`off`}`; break;
    case 'automation.refused': what = md`was refused switching automation on (not an approver)`; break;
    default: what = md`${escapeText(String((e as { type: unknown }).type))}`;
  }
  return md`${time} ${mention(e.actor)} ${what}`;
}

/** The ephemeral answer to `/autogen audit`: a header and the newest lines that fit. */
export function auditText(subject: string | null, entries: readonly AuditEntry[]): Mrkdwn {
  const head = subject ? md`*Audit log of* ${code(subject)} (${entries.length} entries, oldest first)` : md`*Audit log* — newest ${entries.length} entries`;
  if (entries.length === 0) return md`${head}\nNo entries.`;
  const lines = entries.map(auditLine);
  // Keep the newest lines within Slack's message limit.
  const out: Mrkdwn[] = [];
  let size = head.length;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = truncateMd(lines[i] ?? md``, 500);
    if (size + line.length + 1 > SLACK_LIMITS.sectionText * 3) {
      out.unshift(md`…${i + 1} older entries (export with \`json\`)`);
      break;
    }
    out.unshift(line);
    size += line.length + 1;
  }
  return md`${head}\n${joinMd(out, '\n')}`;
}
