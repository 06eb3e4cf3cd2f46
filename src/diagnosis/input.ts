/** What the checks read: the bridge data gathered for one agent, plus the window it covers. */
import type { AgentDetail, Health, LogRecord, RuntimeInfo } from '../runtime/schemas.js';

export interface DiagnosisInput {
  /** The registered agent type. */
  readonly agent: string;
  /** The stable name people use, when it differs from the type (an AgentChat participant: `<team>/<name>`). */
  readonly label?: string;
  readonly runtime: string;
  readonly health: Health | undefined;
  readonly info: RuntimeInfo | undefined;
  /** `undefined` when the runtime says no such agent type is registered. */
  readonly detail: AgentDetail | undefined;
  /** Log records of this agent at WARNING and above, oldest first. */
  readonly logs: readonly LogRecord[];
  /** Seconds of history the logs and recent errors cover. */
  readonly windowS: number;
}

/** Formats a count of bytes as MB with one decimal. */
export function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function pct(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)}%`;
}

/** Shortens one line of text for evidence. */
export function clip(text: string, max = 200): string {
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max - 1)}…` : one;
}
