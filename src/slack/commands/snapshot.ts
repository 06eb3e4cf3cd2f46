/** `/autogen snapshot [runtime]` — the guide's debug snapshot (§3.2), uploaded as JSON and kept for the incident. */
import { OpsError } from '../../errors.js';
import { readRuntime } from './args.js';
import { guideRequest, usageError } from './guide-request.js';
import type { Subcommand } from './types.js';

export const snapshot: Subcommand = {
  name: 'snapshot',
  usage: 'snapshot [runtime]',
  summary: 'debug snapshot (50 recent messages, configuration with secrets redacted, environment) as a JSON file here',
  parse(args, ctx) {
    if (args.length > 1) return usageError(ctx, this.usage, 'Too many words.');
    const runtime = readRuntime(args[0], ctx);
    if (runtime instanceof OpsError) return { ok: false, error: runtime };
    return guideRequest(ctx, { tool: 'snapshot', runtime }, `📸 Taking a debug snapshot of runtime \`${runtime}\` — the JSON file and a summary will be posted in this channel.`);
  },
};
