/**
 * `/autogen logs [agent] [since] [level] [runtime]` — the guide's Log Analysis tool (§3.2). Words are
 * recognised by their shape, in any order: a level (`error`, `warning`, `info`, `debug`), a window (`15m`,
 * `2h`, `1d`, `90s`, a bare number of minutes, or an ISO time), a configured runtime name, and otherwise
 * the agent type. Default: every agent, the last hour, WARNING and above.
 */
import { OpsError } from '../../errors.js';
import { parseSince } from '../../diagnosis/logs.js';
import { thresholdsFor } from '../../diagnosis/thresholds.js';
import { code, escapeText, md } from '../blocks/mrkdwn.js';
import { readAgent, readRuntime } from './args.js';
import { guideRequest, isRuntimeName, POSTED_HERE, usageError } from './guide-request.js';
import type { Subcommand } from './types.js';

const LEVELS: Readonly<Record<string, 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR'>> = {
  debug: 'DEBUG', info: 'INFO', warning: 'WARNING', warn: 'WARNING', error: 'ERROR', errors: 'ERROR', critical: 'ERROR',
};
/** Words that look like a window: start with a digit. */
const WINDOW_LIKE = /^\d/;
export const DEFAULT_LOG_WINDOW_S = 3600;

function formatWindow(s: number): string {
  return s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : `${s} s`;
}

export const logs: Subcommand = {
  name: 'logs',
  aliases: ['log'],
  usage: 'logs [agent] [since] [level] [runtime]',
  summary: 'errors grouped by pattern, time distribution, correlations between agents, impact and fixes; full analysis as a file',
  parse(args, ctx) {
    if (args.length > 4) return usageError(ctx, this.usage, 'Too many words.');
    let agentWord: string | undefined;
    let runtimeWord: string | undefined;
    let level: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR' | undefined;
    let since: Date | undefined;
    for (const word of args) {
      const lower = word.toLowerCase();
      if (level === undefined && LEVELS[lower]) {
        level = LEVELS[lower];
      } else if (since === undefined && WINDOW_LIKE.test(word)) {
        const parsed = parseSince(word, ctx.now);
        if (!parsed) return { ok: false, error: new OpsError('LOG_WINDOW_INVALID', { since: word.slice(0, 60) }, { detail: md`Got ${code(word.slice(0, 60))}.` }) };
        since = parsed;
      } else if (runtimeWord === undefined && isRuntimeName(word, ctx)) {
        runtimeWord = word;
      } else if (agentWord === undefined) {
        agentWord = word;
      } else {
        return usageError(ctx, this.usage, `Cannot tell what ${code(word.slice(0, 40))} is: one agent, one window, one level and one runtime at most.`);
      }
    }
    let agent: string | undefined;
    if (agentWord !== undefined) {
      const a = readAgent(agentWord, this.usage, ctx);
      if (a instanceof OpsError) return { ok: false, error: a };
      agent = a;
    }
    const runtime = readRuntime(runtimeWord, ctx);
    if (runtime instanceof OpsError) return { ok: false, error: runtime };
    const windowS = since ? Math.ceil((ctx.now.getTime() - since.getTime()) / 1000) : DEFAULT_LOG_WINDOW_S;
    if (windowS <= 0) {
      return { ok: false, error: new OpsError('LOG_WINDOW_INVALID', { window_s: windowS }, { detail: md`The window starts in the future.` }) };
    }
    const maxH = thresholdsFor(ctx.config, runtime).maxLogWindowH;
    if (windowS > maxH * 3600) {
      return { ok: false, error: new OpsError('LOG_WINDOW_TOO_LARGE', { window_s: windowS, max_h: maxH }, { detail: md`You asked for ${escapeText(formatWindow(windowS))}; the limit is ${maxH} h.` }) };
    }
    const lvl = level ?? 'WARNING';
    const who = agent ? `\`${agent}\`` : 'every agent';
    return guideRequest(
      ctx,
      { tool: 'logs', runtime, window_s: windowS, level: lvl, ...(agent ? { agent } : {}) },
      `📜 Analysing the logs of ${who} on runtime \`${runtime}\` (last ${formatWindow(windowS)}, ${lvl} and above) — ${POSTED_HERE}`,
    );
  },
};
