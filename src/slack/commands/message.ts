/** `/autogen message <from> <to> [type] [runtime]` — the guide's Message Diagnostic tool (§2.2) for one pair. */
import { OpsError } from '../../errors.js';
import { readAgent, readRuntime } from './args.js';
import { guideRequest, isRuntimeName, POSTED_HERE, usageError } from './guide-request.js';
import type { Subcommand } from './types.js';

export const message: Subcommand = {
  name: 'message',
  aliases: ['msg'],
  usage: 'message <from> <to> [type] [runtime]',
  summary: 'why messages from one agent type do not reach another: existence, subscription, handler, serialisation, drops, latency, backlog',
  parse(args, ctx) {
    if (args.length < 2) return usageError(ctx, this.usage, 'Name the sending and the receiving agent types.');
    if (args.length > 4) return usageError(ctx, this.usage, 'Too many words.');
    const from = readAgent(args[0], this.usage, ctx);
    if (from instanceof OpsError) return { ok: false, error: from };
    const to = readAgent(args[1], this.usage, ctx);
    if (to instanceof OpsError) return { ok: false, error: to };
    let type = args[2];
    let runtimeWord = args[3];
    if (args.length === 3 && type !== undefined && isRuntimeName(type, ctx)) {
      runtimeWord = type;
      type = undefined;
    }
    if (type !== undefined) {
      const checked = readAgent(type, this.usage, ctx);
      if (checked instanceof OpsError) return { ok: false, error: checked };
    }
    const runtime = readRuntime(runtimeWord, ctx);
    if (runtime instanceof OpsError) return { ok: false, error: runtime };
    const what = `\`${from}\` → \`${to}\`${type ? ` (\`${type}\`)` : ''}`;
    return guideRequest(ctx, { tool: 'message', runtime, from, to, ...(type ? { message_type: type } : {}) }, `✉️ Checking delivery ${what} on runtime \`${runtime}\` — ${POSTED_HERE}`);
  },
};
