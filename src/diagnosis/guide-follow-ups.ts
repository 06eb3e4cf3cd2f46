/**
 * Follow-up buttons of guide reports (action ids with the `guide:` prefix; values are compact JSON naming
 * the next guide command to run). Pure.
 */
import type { FollowUp } from './report.js';
import type { GuideReport } from './guide-report.js';

export const GUIDE_ACTION_PREFIX = 'guide:';

/** What a `guide:` button asks for: a tool and its arguments (short keys keep the value small). */
export interface GuideButtonValue {
  /** tool */
  t: 'health' | 'perf' | 'message' | 'logs' | 'trace' | 'inspect' | 'snapshot';
  /** runtime */
  r: string;
  /** agent (perf, logs, inspect) */
  a?: string;
  /** from / to (message) */
  f?: string;
  o?: string;
  /** message id (trace) */
  m?: string;
  /** log window, seconds */
  w?: number;
}

const LABEL: Record<GuideButtonValue['t'], string> = {
  health: 'Health check',
  perf: 'Performance',
  message: 'Message check',
  logs: 'Analyse logs',
  trace: 'Trace',
  inspect: 'Inspect',
  snapshot: 'Take snapshot',
};

function button(v: GuideButtonValue, label?: string, style?: 'primary' | 'danger'): FollowUp {
  return { action_id: `${GUIDE_ACTION_PREFIX}${v.t}`, label: label ?? LABEL[v.t], value: JSON.stringify(v), ...(style ? { style } : {}) };
}

/** The agent a report points at, if any: the primary finding's subject when it is an agent type. */
function focusAgent(report: GuideReport, agentTypes: readonly string[]): string | undefined {
  const subject = report.classification?.primary.subject;
  if (subject && agentTypes.includes(subject)) return subject;
  return undefined;
}

/**
 * Buttons for the next steps the guide's flow suggests after this report: collect more (logs, inspect,
 * trace), escalate (snapshot), recover (the spine's `diag:recover`), or verify (run again).
 */
export function guideFollowUps(report: GuideReport, args: { agentTypes: readonly string[]; agent?: string; from?: string; to?: string; messageId?: string; failedMessageId?: string }): FollowUp[] {
  const r = report.runtime;
  const agent = args.agent ?? focusAgent(report, args.agentTypes);
  const out: FollowUp[] = [];
  const bad = report.verdict.status === 'failing' || report.verdict.status === 'warning';
  switch (report.tool) {
    case 'health':
    case 'snapshot':
      if (agent) out.push(button({ t: 'inspect', r, a: agent }, `Inspect ${agent}`));
      if (bad) out.push(button({ t: 'logs', r, ...(agent ? { a: agent } : {}), w: 3600 }));
      out.push(button({ t: 'perf', r }));
      if (report.tool === 'health') out.push(button({ t: 'snapshot', r }));
      break;
    case 'perf':
      if (agent) out.push(button({ t: 'inspect', r, a: agent }, `Inspect ${agent}`));
      if (bad) out.push(button({ t: 'logs', r, ...(agent ? { a: agent } : {}), w: 3600 }));
      out.push(button({ t: 'perf', r, ...(args.agent ? { a: args.agent } : {}) }, 'Run again'));
      break;
    case 'message':
      if (args.failedMessageId) out.push(button({ t: 'trace', r, m: args.failedMessageId }, 'Trace last failure'));
      if (args.to) out.push(button({ t: 'inspect', r, a: args.to }, `Inspect ${args.to}`));
      if (args.from && args.to) out.push(button({ t: 'message', r, f: args.from, o: args.to }, 'Run again'));
      break;
    case 'logs':
      if (agent) out.push(button({ t: 'inspect', r, a: agent }, `Inspect ${agent}`));
      out.push(button({ t: 'health', r }));
      if (bad) out.push(button({ t: 'snapshot', r }));
      break;
    case 'trace':
      if (agent) out.push(button({ t: 'inspect', r, a: agent }, `Inspect ${agent}`));
      if (args.messageId) out.push(button({ t: 'trace', r, m: args.messageId }, 'Run again'));
      break;
    case 'inspect':
      if (agent) {
        out.push(button({ t: 'perf', r, a: agent }));
        out.push(button({ t: 'logs', r, a: agent, w: 3600 }));
      }
      break;
  }
  if (bad && agent) out.push({ action_id: 'diag:recover', label: 'Propose recovery', value: JSON.stringify({ a: agent, r }), style: 'primary' });
  if (bad && report.tool !== 'snapshot' && report.tool !== 'health' && report.tool !== 'logs') out.push(button({ t: 'snapshot', r }, 'Snapshot & escalate'));
  // Slack rejects a message with two buttons of the same action_id: keep the first of each.
  return out.filter((f, i) => out.findIndex((g) => g.action_id === f.action_id) === i);
}
