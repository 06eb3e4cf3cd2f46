/** Shared argument readers for subcommands: agent type and runtime name, with errors that say what to type. */
import { OpsError } from '../../errors.js';
import { AgentRef } from '../../identifiers.js';
import { code, joinMd, md } from '../blocks/mrkdwn.js';
import type { CommandContext } from './types.js';

export function readAgent(raw: string | undefined, usage: string, ctx: CommandContext): string | OpsError {
  if (raw === undefined) {
    return new OpsError('COMMAND_USAGE', { usage }, { detail: md`Name the agent: ${code(`${ctx.config.slack.command} ${usage}`)}.` });
  }
  if (!AgentRef.safeParse(raw).success) {
    return new OpsError('AGENT_NAME_INVALID', { agent: raw.slice(0, 100) }, { detail: md`Got ${code(raw.slice(0, 60))}.` });
  }
  return raw;
}

/** The runtime named, or the default one; `RUNTIME_UNKNOWN` listing the configured names otherwise. */
export function readRuntime(raw: string | undefined, ctx: CommandContext): string | OpsError {
  const known = Object.keys(ctx.config.runtimes.byName);
  const name = raw ?? ctx.config.runtimes.defaultName;
  if (name === undefined || !known.includes(name)) {
    const list = known.length ? joinMd(known.map((k) => code(k)), ', ') : md`none (set AUTOGEN_RUNTIMES)`;
    return new OpsError('RUNTIME_UNKNOWN', { runtime: raw ?? null, known }, {
      detail: raw === undefined ? md`No default runtime is configured.` : md`Got ${code(raw.slice(0, 40))}; configured runtimes: ${list}.`,
    });
  }
  return name;
}
