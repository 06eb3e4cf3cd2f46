/**
 * `/autogen recover <agent> [runtime] [runbook]` — ask for a recovery plan for one agent: the bot matches
 * runbooks against what the runtime shows (or uses the runbook named), dry-runs it and posts the plan here
 * with Approve / Reject. Nothing runs before an allowed approver approves.
 */
import { OpsError } from '../../errors.js';
import { RUNBOOK_ID_RE } from '../../identifiers.js';
import { code, escapeText, joinMd, md } from '../blocks/mrkdwn.js';
import { readAgent, readRuntime } from './args.js';
import type { Subcommand } from './types.js';


export const recover: Subcommand = {
  name: 'recover',
  aliases: ['plan'],
  usage: 'recover <agent> [runtime] [runbook]',
  summary: 'propose a recovery plan for an agent (isolate, backpressure, degrade, restart…); runs only after approval',
  parse(args, ctx) {
    if (args.length > 3) {
      return { ok: false, error: new OpsError('COMMAND_USAGE', { usage: this.usage }, { detail: md`Too many words; type ${code(`${ctx.config.slack.command} ${this.usage}`)}.` }) };
    }
    const agent = readAgent(args[0], this.usage, ctx);
    if (agent instanceof OpsError) return { ok: false, error: agent };
    const known = Object.keys(ctx.config.runtimes.byName);
    let runtimeWord: string | undefined;
    let runbook: string | undefined;
    for (const word of args.slice(1)) {
      if (runtimeWord === undefined && runbook === undefined && known.includes(word)) runtimeWord = word;
      else if (runbook === undefined && RUNBOOK_ID_RE.test(word) && !known.includes(word)) runbook = word;
      else {
        return { ok: false, error: new OpsError('COMMAND_USAGE', { usage: this.usage }, { detail: md`${code(word.slice(0, 60))} is neither a configured runtime (${known.length ? joinMd(known.map((k) => code(k)), ', ') : md`none`}) nor a runbook id; type ${code(`${ctx.config.slack.command} ${this.usage}`)}.` }) };
      }
    }
    const runtime = readRuntime(runtimeWord, ctx);
    if (runtime instanceof OpsError) return { ok: false, error: runtime };
    return {
      ok: true,
      // Only the worker knows the runbooks and the runtime's agents: the ack promises no plan, it says what
      // happens either way (a refusal comes back as a message only the requester sees).
      ack: escapeText(`🛠️ Planning a recovery for \`${agent}\` on runtime \`${runtime}\`${runbook ? ` with runbook \`${runbook}\`` : ''} — a plan with Approve / Reject will be posted here, or you will be told why there is none; nothing runs before an approver approves.`),
      job: {
        queue: 'respond',
        jobId: `recover-${ctx.requestId}`,
        payload: {
          kind: 'plan', runtime, channel: ctx.channel, user: ctx.user, agent, agents: [agent],
          ...(runbook ? { runbook } : {}), source: 'slash', requested_at: ctx.now.toISOString(),
        },
      },
    };
  },
};
