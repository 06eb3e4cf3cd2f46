/**
 * The shapes of the identifiers the bot passes around, defined once: AutoGen agent types, the names people
 * use for them, runtime names and Slack ids. A leaf module: it imports nothing of the project.
 */
import { z } from 'zod';

/** An AutoGen agent type as autogen-core's AgentId accepts it (`^[\w\-.]+$`), capped at 100 chars. */
export const AGENT_TYPE_RE = /^[\w\-.]{1,100}$/;
/**
 * What a user may name an agent by: its registered type, an AgentChat participant's own name, or
 * `<team>/<participant>` (a team name may be `Kind[members]` when the application did not name it).
 */
export const AGENT_REF_RE = /^(?:[\w\-.[\]+]{1,150}\/)?[\w\-.]{1,100}$/;
export const RUNTIME_NAME_RE = /^[a-z0-9][a-z0-9_-]{0,39}$/;
/** Slack ids: channels C/G/D…, users U/W…. */
export const SLACK_ID_RE = /^[A-Z0-9]{2,40}$/;
/** Slack user ids only (`U…`, or `W…` on Enterprise Grid): what may be shown as a mention. */
export const SLACK_USER_ID_RE = /^[UW][A-Z0-9]{2,40}$/;
/** Slack user group ids (`S…`). */
export const SLACK_GROUP_ID_RE = /^S[A-Z0-9]{2,40}$/;
/** A runbook id as a request names it (`/autogen recover <runtime> <runbook>`, the `respond` job). */
export const RUNBOOK_ID_RE = /^[a-z0-9][a-z0-9_-]{1,62}$/;
/** Slack message timestamps, "1712345678.000100". */
export const MESSAGE_TS_RE = /^\d{1,12}\.\d{1,8}$/;

/** The agent type of a `type/key` agent id (the bridge's `sender` / `recipient`); null stays null. */
export function agentTypeOf(agentId: string | null | undefined): string | null {
  if (!agentId) return null;
  const slash = agentId.indexOf('/');
  return slash === -1 ? agentId : agentId.slice(0, slash);
}

export const AgentType = z.string().regex(AGENT_TYPE_RE);
export const AgentRef = z.string().regex(AGENT_REF_RE);
export const RuntimeName = z.string().regex(RUNTIME_NAME_RE);
export const ChannelId = z.string().regex(SLACK_ID_RE);
export const UserId = z.string().regex(SLACK_ID_RE);
export const MessageTs = z.string().regex(MESSAGE_TS_RE);
/**
 * A slash command's `response_url` (Slack: `https://hooks.slack.com/…`; the sandbox: its loopback address):
 * where the worker answers the person who asked when it cannot post in the channel (not a member).
 */
export const ResponseUrl = z.string().max(2_000).regex(/^https?:\/\/[^\s]+$/);
