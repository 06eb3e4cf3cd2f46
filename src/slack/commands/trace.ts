/** `/autogen trace <message_id> [runtime]` — the path of one message across agents (guide §7.2). */
import { OpsError } from '../../errors.js';
import { MessageId } from '../../diagnosis/guide-job.js';
import { code, md } from '../blocks/mrkdwn.js';
import { readRuntime } from './args.js';
import { guideRequest, POSTED_HERE, usageError } from './guide-request.js';
import type { Subcommand } from './types.js';

export const trace: Subcommand = {
  name: 'trace',
  usage: 'trace <message_id> [runtime]',
  summary: 'the path of one message across agents, with timings and outcome',
  parse(args, ctx) {
    if (args.length === 0) return usageError(ctx, this.usage, 'Give the message id (reports and snapshots show them).');
    if (args.length > 2) return usageError(ctx, this.usage, 'Too many words.');
    const id = args[0]!;
    if (!MessageId.safeParse(id).success) {
      return { ok: false, error: new OpsError('MESSAGE_ID_INVALID', { message_id: id.slice(0, 200) }, { detail: md`Got ${code(id.slice(0, 60))}.` }) };
    }
    const runtime = readRuntime(args[1], ctx);
    if (runtime instanceof OpsError) return { ok: false, error: runtime };
    return guideRequest(ctx, { tool: 'trace', runtime, message_id: id }, `🧭 Tracing message \`${id}\` on runtime \`${runtime}\` — ${POSTED_HERE}`);
  },
};
