/**
 * What the guide subcommands (health, perf, message, logs, trace, inspect, snapshot) share: the job they
 * enqueue on the `guide` queue, the ack that says what was queued, and argument errors that say what to
 * type instead.
 */
import { OpsError } from '../../errors.js';
import { code, escapeText, md } from '../blocks/mrkdwn.js';
import type { GuideJobInput } from '../../diagnosis/guide-job.js';
import type { CommandContext, ParseResult } from './types.js';

type ToolJob = Exclude<GuideJobInput, { tool: 'home' } | { tool: 'glance' }>;
type Args<J> = J extends unknown ? Omit<J, 'channel' | 'user' | 'source' | 'requested_at'> : never;

/**
 * A successful parse: the guide job for this invocation (idempotent id from Slack's trigger id). `ack` is
 * our sentence naming only validated words; escaped here (a no-op for them) to become mrkdwn.
 */
export function guideRequest(ctx: CommandContext, args: Args<ToolJob>, ack: string): ParseResult {
  const payload = { ...args, channel: ctx.channel, user: ctx.user, source: 'slash', requested_at: ctx.now.toISOString() } as ToolJob;
  return { ok: true, ack: escapeText(ack), job: { queue: 'guide', jobId: `guide-${args.tool}-${ctx.requestId}`, payload } };
}

/** `COMMAND_USAGE` with the exact line to type. */
export function usageError(ctx: CommandContext, usage: string, why: string): ParseResult {
  return { ok: false, error: new OpsError('COMMAND_USAGE', { usage }, { detail: md`${escapeText(why)} Type ${code(`${ctx.config.slack.command} ${usage}`)}.` }) };
}

export function isRuntimeName(word: string, ctx: CommandContext): boolean {
  return Object.prototype.hasOwnProperty.call(ctx.config.runtimes.byName, word);
}

export const POSTED_HERE = 'the report will be posted in this channel in a few seconds.';
