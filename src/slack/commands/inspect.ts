/** `/autogen inspect <agent> [runtime]` — the Distributed Debugging tool's agent view (guide §3.1). */
import { OpsError } from '../../errors.js';
import { readAgent, readRuntime } from './args.js';
import { guideRequest, POSTED_HERE, usageError } from './guide-request.js';
import type { Subcommand } from './types.js';

export const inspect: Subcommand = {
  name: 'inspect',
  usage: 'inspect <agent> [runtime]',
  summary: 'one agent type from the inside: basic info, saved state, queue, connections, performance',
  parse(args, ctx) {
    if (args.length > 2) return usageError(ctx, this.usage, 'Too many words.');
    const agent = readAgent(args[0], this.usage, ctx);
    if (agent instanceof OpsError) return { ok: false, error: agent };
    const runtime = readRuntime(args[1], ctx);
    if (runtime instanceof OpsError) return { ok: false, error: runtime };
    return guideRequest(ctx, { tool: 'inspect', runtime, agent }, `🔬 Inspecting \`${agent}\` on runtime \`${runtime}\` — ${POSTED_HERE}`);
  },
};
