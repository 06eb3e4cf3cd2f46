/**
 * Agent dependencies learned from the bridge's message log (`GET /v1/messages`): who sends to whom.
 * The grouping of alerts into incidents treats connected agents as one cascade.
 */
import type { AgentEdge } from '../incidents/grouping.js';
import type { MaybeFields, MessageRecord } from '../runtime/schemas.js';

/** What the monitor reads of one `MessageRecord`. */
export type MessageView = Readonly<MaybeFields<MessageRecord, 'sender' | 'recipient'>>;

/** Agent type of a `type/key` agent id; null for null or an empty type. */
function typeOf(agentId: string | null | undefined): string | null {
  if (!agentId) return null;
  const slash = agentId.indexOf('/');
  const type = slash === -1 ? agentId : agentId.slice(0, slash);
  return type === '' ? null : type;
}

/** Distinct `[sender type, recipient type]` pairs, sorted, self-edges left out. */
export function edgesFromMessages(messages: readonly MessageView[]): AgentEdge[] {
  const seen = new Map<string, AgentEdge>();
  for (const m of messages) {
    const from = typeOf(m.sender);
    const to = typeOf(m.recipient);
    if (from === null || to === null || from === to) continue;
    seen.set(`${from}\u0000${to}`, [from, to]);
  }
  return [...seen.values()].sort((a, b) => (a[0] + a[1] < b[0] + b[1] ? -1 : 1));
}

/** `a>b` text form of an edge, as stored in Redis. */
export function edgeText(edge: AgentEdge): string {
  return `${edge[0]}>${edge[1]}`;
}

/** Parses stored `a>b` members back; malformed ones are skipped. */
export function edgesFromText(members: readonly string[]): AgentEdge[] {
  const out: AgentEdge[] = [];
  for (const m of members) {
    const i = m.indexOf('>');
    if (i > 0 && i < m.length - 1) out.push([m.slice(0, i), m.slice(i + 1)]);
  }
  return out;
}
