/**
 * From what a user typed to the agent type registered in the runtime. AgentChat registers a team's
 * participants as `<name>_<team id>` with a new id at every start, so people name them by the
 * participant's own name or `<team>/<name>`, as the bridge reports them (`name`, `team`); a registered
 * type always matches itself. Pure over the bridge's agent list.
 */
import { OpsError } from '../errors.js';
import { code, joinMd, md } from '../slack/blocks/mrkdwn.js';
import type { AgentSummary } from './schemas.js';

export interface ResolvedAgent {
  /** The registered agent type (what the bridge's endpoints take). */
  readonly type: string;
  /** The stable name to show and to put in buttons: `<team>/<name>` for a team member, else the type. */
  readonly label: string;
}

type Named = Pick<AgentSummary, 'type' | 'name' | 'team'> & { readonly role?: string | null | undefined };

export function labelOf(a: Named): string {
  return a.team && a.name ? `${a.team.name}/${a.name}` : a.type;
}

/**
 * `undefined` when nothing matches (the caller reports an unregistered agent); throws `AGENT_AMBIGUOUS`.
 * A team's name (or kind) alone names the team as a whole: its group chat manager's type, which the
 * bridge's actions take for the whole team.
 */
export function resolveAgentRef(ref: string, agents: readonly Named[], runtime: string): ResolvedAgent | undefined {
  const exact = agents.find((a) => a.type === ref);
  if (exact) return { type: exact.type, label: labelOf(exact) };
  const slash = ref.indexOf('/');
  const matches = slash === -1
    ? agents.filter((a) => a.team && (a.name === ref || (a.role === 'manager' && (a.team.name === ref || a.team.kind === ref))))
    : agents.filter((a) => a.team && a.name === ref.slice(slash + 1) && (a.team.name === ref.slice(0, slash) || a.team.kind === ref.slice(0, slash)));
  if (matches.length === 1) return { type: matches[0]!.type, label: labelOf(matches[0]!) };
  if (matches.length === 0) return undefined;
  const choices = matches.map(labelOf);
  const distinct = new Set(choices).size === choices.length ? choices : matches.map((a) => a.type);
  throw new OpsError('AGENT_AMBIGUOUS', { runtime, agent: ref, choices: distinct }, {
    detail: md`${code(ref)} on runtime ${code(runtime)} could be ${joinMd(distinct.map((c) => code(c)), ' or ')}.`,
  });
}

/**
 * The registered type a reference names now, for matching (never throws): as named when nothing or more than
 * one agent matches, so it matches no registered type and the caller says so.
 */
export function typeOfRef(ref: string, agents: readonly Named[], runtime: string): string {
  try {
    return resolveAgentRef(ref, agents, runtime)?.type ?? ref;
  } catch {
    return ref;
  }
}
