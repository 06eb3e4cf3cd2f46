/**
 * A subcommand of `/autogen`: one file each, listed in `index.ts`. `parse` is pure: it turns the words
 * after the subcommand into a job to enqueue plus the ephemeral ack text, or a coded error that says what
 * to type instead. Listeners do the I/O.
 */
import type { Config } from '../../config.js';
import type { OpsError } from '../../errors.js';
import type { Mrkdwn } from '../blocks/mrkdwn.js';
import type { QueueName } from '../../queues/names.js';
import type { PayloadInput } from '../../queues/payloads.js';

export interface CommandContext {
  /** `thresholds`: the guide subcommands bound their arguments by them (e.g. the longest log window). */
  readonly config: Pick<Config, 'runtimes' | 'slack' | 'thresholds'>;
  readonly user: string;
  readonly channel: string;
  readonly team: string | undefined;
  readonly now: Date;
  /** Unique per invocation (Slack's trigger_id); usable as an idempotent job id. */
  readonly requestId: string;
  /** Every registered subcommand (for help). */
  readonly subcommands: readonly Subcommand[];
}

export type EnqueueRequest = {
  [Q in QueueName]: { readonly queue: Q; readonly payload: PayloadInput<Q>; readonly jobId?: string };
}[QueueName];

export type ParseResult =
  | { readonly ok: true; readonly ack: Mrkdwn; readonly job?: EnqueueRequest }
  | { readonly ok: false; readonly error: OpsError };

export interface Subcommand {
  /** The word after the command, lower-case. */
  readonly name: string;
  readonly aliases?: readonly string[];
  /** Usage after the command, e.g. `diagnose <agent> [runtime]`. */
  readonly usage: string;
  /** One line for help. */
  readonly summary: string;
  parse(args: readonly string[], ctx: CommandContext): ParseResult;
}
