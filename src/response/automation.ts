/**
 * `/autogen automation on|off|status`: the global kill switch, said out loud in the channel when switched
 * (everyone sees who stopped or restarted automation), and the status of every safety limit.
 */
import { isAllowedApprover, type GroupMembers } from '../approvals/rules.js';
import { OpsError } from '../errors.js';
import type { ResponseDeps } from './context.js';
import type { Runbook } from './runbook-schema.js';
import { actionsInWindow, readAutomation, setAutomation } from './safety.js';
import { code, joinRich, mention, refusal, rich, type RichText } from '../view/rich-text.js';

/**
 * Switching automation OFF is an emergency stop anyone may pull. Switching it back ON re-arms every
 * approved action, so only someone a loaded runbook names as approver (user or group member) may do it.
 */
export function mayEnableAutomation(runbooks: readonly Pick<Runbook, 'approval'>[], user: string, groups: GroupMembers): boolean {
  return runbooks.some((rb) => isAllowedApprover(rb.approval, user, groups));
}

/** `responseUrl`: the slash command's, where the answer goes (announced in the channel) when the bot cannot post there. */
export async function switchAutomation(deps: ResponseDeps, enabled: boolean, user: string, channel: string, responseUrl?: string): Promise<boolean> {
  const now = deps.now();
  if (enabled && !mayEnableAutomation(deps.runbooks, user, await deps.approverGroups.membersOf(deps.runbooks.flatMap((rb) => rb.approval.groups)))) {
    await deps.audit({ type: 'automation.refused', at: now.toISOString(), actor: user, data: { enabled } });
    const err = new OpsError('AUTOMATION_ON_NOT_ALLOWED', {});
    await deps.outbox.ephemeral({ channel, user, text: refusal(err), ...(responseUrl ? { response_url: responseUrl } : {}) });
    deps.logger.warn({ by: user }, 'automation on refused: not an approver');
    return false;
  }
  const before = await readAutomation(deps.redis, deps.prefix);
  await setAutomation(deps.redis, deps.prefix, enabled, user, now);
  await deps.audit({ type: 'automation.switched', at: now.toISOString(), actor: user, data: { enabled, was: before.enabled } });
  const text = enabled
    ? rich`▶️ ${mention(user)} switched response automation *on*: approved recovery plans run again.`
    : rich`⏹️ ${mention(user)} switched response automation *off*: no recovery action runs (approved or not) until someone types \`/autogen automation on\`.`;
  await deps.outbox.post({ channel, text, priority: 'high', ...(responseUrl ? { response_url: responseUrl, response_type: 'in_channel' as const } : {}) });
  deps.logger.warn({ enabled, by: user }, 'automation switched');
  return before.enabled !== enabled;
}

export async function describeAutomation(deps: ResponseDeps, runtimes: readonly string[]): Promise<RichText> {
  const now = deps.now().getTime();
  const state = await readAutomation(deps.redis, deps.prefix);
  const { limit, windowMs } = deps.settings.breaker;
  const counts = await Promise.all(runtimes.map(async (r) => rich`${code(r)}: ${await actionsInWindow(deps.redis, deps.prefix, r, now, windowMs)} of ${limit}`));
  return joinRich([
    rich`*Response automation* is ${state.enabled ? rich`*on*` : rich`*off*`}${state.by ? rich` (switched by ${mention(state.by)} at ${state.at?.slice(0, 16).replace('T', ' ') ?? '?'} UTC)` : rich``}.`,
    rich`• Dry-run-only mode: ${deps.settings.dryRunOnly ? rich`*on* — approved plans change nothing` : rich`off`}`,
    rich`• Runs without approval (low-risk auto_run runbooks): ${deps.settings.allowAutoRun ? rich`allowed` : rich`not allowed`}`,
    rich`• Circuit breaker, actions in the last ${Math.round(windowMs / 60_000)} min: ${counts.length ? joinRich(counts, ', ') : rich`no runtime configured`}`,
    rich`• Approvals expire after ${Math.round(deps.settings.approvalTtlS / 60)} min unless a runbook says otherwise; ${deps.runbooks.length} runbooks loaded.`,
  ], '\n');
}
