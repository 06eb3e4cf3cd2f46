/**
 * `/autogen automation on|off|status` — the global kill switch of response automation. `off` stops every
 * recovery action (approved or not) on every replica before its next bridge call; the channel is told
 * who switched it. `status` shows the switch, the dry-run-only mode and the circuit breakers.
 */
import { OpsError } from '../../errors.js';
import { code, escapeText, md } from '../blocks/mrkdwn.js';
import type { Subcommand } from './types.js';

const MODES = ['on', 'off', 'status'] as const;
type Mode = (typeof MODES)[number];

export const automation: Subcommand = {
  name: 'automation',
  usage: 'automation on|off|status',
  summary: 'switch response automation on or off (kill switch), or show it and the safety limits',
  parse(args, ctx) {
    const mode = (args[0] ?? 'status').toLowerCase();
    if (args.length > 1 || !(MODES as readonly string[]).includes(mode)) {
      return { ok: false, error: new OpsError('COMMAND_USAGE', { usage: this.usage }, { detail: md`Type ${code(`${ctx.config.slack.command} automation off`)}, \`… on\` or \`… status\`.` }) };
    }
    const acks: Record<Mode, string> = {
      off: '⏹️ Switching response automation *off* — no recovery action will run until it is switched on again.',
      // only a runbook's approver may (checked by the worker, which knows the runbooks): no promise here
      on: '▶️ Asking to switch response automation *on* — only an approver named in a runbook may; you will be told the result.',
      status: '🔎 Looking up the automation status…',
    };
    return {
      ok: true,
      ack: escapeText(acks[mode as Mode]),
      job: {
        queue: 'respond',
        jobId: `automation-${ctx.requestId}`,
        payload: { kind: 'automation', mode: mode as Mode, user: ctx.user, channel: ctx.channel, requested_at: ctx.now.toISOString() },
      },
    };
  },
};
