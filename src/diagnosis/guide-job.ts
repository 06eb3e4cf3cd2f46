/**
 * Payload of the `guide` queue: one job per guide subcommand run (`/autogen health|perf|message|logs|
 * trace|inspect|snapshot`), per follow-up button, and per App Home / shortcut refresh. One processor,
 * `handlers/guide.ts`, dispatches on `tool`.
 *
 * Defined here rather than in `src/queues/payloads.ts` (which imports it) so that the guide's arguments
 * live next to the analyses that read them. Agents are named as the user named them (`AgentRef`): the
 * worker resolves them against the runtime.
 */
import { z } from 'zod';
import { AgentRef as AgentType, ChannelId, MessageTs, ResponseUrl, RuntimeName, UserId } from '../identifiers.js';
/** Bridge message ids are opaque; keep them printable and bounded. */
export const MessageId = z.string().regex(/^[\w\-.:/]{1,200}$/);
export const GUIDE_LOG_LEVELS = ['DEBUG', 'INFO', 'WARNING', 'ERROR'] as const;

/** Where the answer goes and who asked: common to every guide job. */
const Where = {
  runtime: RuntimeName,
  channel: ChannelId,
  user: UserId,
  /** Reply in this thread (a button or shortcut in a thread, an incident thread). */
  thread_ts: MessageTs.optional(),
  incident_id: z.string().max(200).optional(),
  source: z.enum(['slash', 'button', 'shortcut', 'alert']),
  /** A slash command's response_url: the answer goes there when the bot cannot post in the channel. */
  response_url: ResponseUrl.optional(),
  requested_at: z.iso.datetime(),
};

export const GuideJob = z.discriminatedUnion('tool', [
  z.object({ tool: z.literal('health'), ...Where }),
  z.object({
    tool: z.literal('perf'),
    ...Where,
    /** An agent type, or absent for the whole runtime. */
    agent: AgentType.optional(),
  }),
  z.object({ tool: z.literal('message'), ...Where, from: AgentType, to: AgentType, message_type: AgentType.optional() }),
  z.object({
    tool: z.literal('logs'),
    ...Where,
    agent: AgentType.optional(),
    /** Window length in seconds (ends now); bounded by the `maxLogWindowH` threshold at parse time. */
    window_s: z.number().int().min(1).max(7 * 86_400),
    level: z.enum(GUIDE_LOG_LEVELS).default('WARNING'),
  }),
  z.object({ tool: z.literal('trace'), ...Where, message_id: MessageId }),
  z.object({ tool: z.literal('inspect'), ...Where, agent: AgentType }),
  z.object({ tool: z.literal('snapshot'), ...Where }),
  /** The App Home tab of one user: commands and every runtime's health at a glance. */
  z.object({ tool: z.literal('home'), user: UserId, requested_at: z.iso.datetime() }),
  /** The message shortcut: the same glance, as an ephemeral message in the channel (or thread). */
  z.object({
    tool: z.literal('glance'),
    channel: ChannelId,
    user: UserId,
    thread_ts: MessageTs.optional(),
    requested_at: z.iso.datetime(),
  }),
]);
export type GuideJob = z.infer<typeof GuideJob>;
export type GuideJobInput = z.input<typeof GuideJob>;
export type GuideToolJob = Exclude<GuideJob, { tool: 'home' } | { tool: 'glance' }>;
