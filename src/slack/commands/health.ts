/** `/autogen health [runtime]` — the guide's health-check script (§5.1) for one runtime. */
import { OpsError } from '../../errors.js';
import { readRuntime } from './args.js';
import { guideRequest, POSTED_HERE, usageError } from './guide-request.js';
import type { Subcommand } from './types.js';

export const health: Subcommand = {
  name: 'health',
  usage: 'health [runtime]',
  summary: 'health check of a runtime: agents up, queue depth, memory and disk, errors in the last hour, dependencies',
  parse(args, ctx) {
    if (args.length > 1) return usageError(ctx, this.usage, 'Too many words.');
    const runtime = readRuntime(args[0], ctx);
    if (runtime instanceof OpsError) return { ok: false, error: runtime };
    return guideRequest(ctx, { tool: 'health', runtime }, `🩺 Checking the health of runtime \`${runtime}\` — ${POSTED_HERE}`);
  },
};
