/**
 * The bridge data the guide's analyses read (docs/bridge-api.md). The shapes the spine's bridge client
 * already validates are re-used from `src/runtime/schemas.ts`; the read endpoints only the guide
 * subcommands call (`/v1/messages`, `/v1/trace/{id}`, `/v1/snapshot`) are declared here the same way:
 * lenient zod objects that check the fields relied on and let unknown ones through.
 */
import { z } from 'zod';
import {
  AgentDetail as AgentDetailSchema,
  AgentSummary as AgentSummarySchema,
  RuntimeInfo as RuntimeInfoSchema,
  type AgentDetail,
  type AgentSummary,
  type ErrorRecord,
  type LogRecord,
  type RuntimeInfo,
} from '../runtime/schemas.js';

export type { AgentDetail, AgentSummary, ErrorRecord, LogRecord, RuntimeInfo };

export type Dependency = NonNullable<RuntimeInfo['dependencies']>[number];
export type DependencyCall = NonNullable<AgentDetail['dependency_calls']>[number];
export type RssSample = NonNullable<RuntimeInfo['rss_history']>[number];
export type Subscription = NonNullable<AgentDetail['subscriptions']>[number];

export const MessageRecord = z.looseObject({
  message_id: z.string(),
  sender: z.string().nullish(),
  recipient: z.string().nullish(),
  message_type: z.string().nullish(),
  kind: z.string().nullish(),
  started_at: z.string().nullish(),
  finished_at: z.string().nullish(),
  duration_ms: z.number().nullish(),
  outcome: z.string(),
  error: z.string().nullish(),
  parent_id: z.string().nullish(),
});
export type MessageRecord = z.infer<typeof MessageRecord>;

export const MessageList = z.looseObject({ messages: z.array(MessageRecord) });
export type MessageList = z.infer<typeof MessageList>;

export const Trace = z.looseObject({ message_id: z.string(), hops: z.array(MessageRecord) });
export type Trace = z.infer<typeof Trace>;

export const Snapshot = z.looseObject({
  taken_at: z.string(),
  runtime: RuntimeInfoSchema,
  agents: z.array(z.union([AgentDetailSchema, AgentSummarySchema])),
  recent_messages: z.array(MessageRecord),
  config: z.record(z.string(), z.unknown()).nullish(),
  environment: z.record(z.string(), z.unknown()).nullish(),
});
export type Snapshot = z.infer<typeof Snapshot>;

/** The agent type of a `type/key` agent id string (the bridge's `sender`/`recipient`); null stays null. */
export function agentTypeOf(agentId: string | null | undefined): string | null {
  if (!agentId) return null;
  const slash = agentId.indexOf('/');
  return slash === -1 ? agentId : agentId.slice(0, slash);
}

/** "type:ChatRequest" / "default" — a subscription as one word, whatever fields the bridge sends. */
export function subscriptionLabel(s: Subscription): string {
  const rec = s as Record<string, unknown>;
  const kind = typeof rec['kind'] === 'string' ? rec['kind'] : 'subscription';
  const topic = typeof rec['topic_type'] === 'string' ? rec['topic_type'] : null;
  return topic ? `${kind}:${topic}` : kind;
}
