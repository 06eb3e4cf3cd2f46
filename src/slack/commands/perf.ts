/**
 * `/autogen perf <agent|runtime> [runtime]` — the guide's Performance Diagnostic tool (§2.3) for one agent
 * type, or for every agent of a runtime when the word is a configured runtime name (or `runtime`).
 */
import { OpsError } from '../../errors.js';
import { readAgent, readRuntime } from './args.js';
import { guideRequest, isRuntimeName, POSTED_HERE, usageError } from './guide-request.js';
import type { Subcommand } from './types.js';

export const perf: Subcommand = {
  name: 'perf',
  aliases: ['performance'],
  usage: 'perf <agent|runtime> [runtime]',
  summary: 'performance against the guide\'s thresholds (response time, memory, CPU, errors, concurrency, slow calls, leak trend), bottlenecks ranked',
  parse(args, ctx) {
    if (args.length === 0) return usageError(ctx, this.usage, 'Name an agent type or a runtime.');
    if (args.length > 2) return usageError(ctx, this.usage, 'Too many words.');
    const [first, second] = args as [string, string | undefined];
    if (second === undefined && (first === 'runtime' || isRuntimeName(first, ctx))) {
      const runtime = readRuntime(first === 'runtime' ? undefined : first, ctx);
      if (runtime instanceof OpsError) return { ok: false, error: runtime };
      return guideRequest(ctx, { tool: 'perf', runtime }, `⏱️ Measuring runtime \`${runtime}\` against the guide's thresholds — ${POSTED_HERE}`);
    }
    const agent = readAgent(first, this.usage, ctx);
    if (agent instanceof OpsError) return { ok: false, error: agent };
    const runtime = readRuntime(second, ctx);
    if (runtime instanceof OpsError) return { ok: false, error: runtime };
    return guideRequest(ctx, { tool: 'perf', runtime, agent }, `⏱️ Measuring \`${agent}\` on runtime \`${runtime}\` against the guide's thresholds — ${POSTED_HERE}`);
  },
};
