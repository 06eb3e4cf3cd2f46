/**
 * The outcome of a plan, posted in the incident thread after it runs and edited in place as it is verified,
 * kept or reverted: one ✅/❌ line per action with the state before and after, one per check with its
 * evidence, the attempt count, and Keep / Revert now for temporary actions. Also the escalation that calls
 * humans in after the seed's three failed attempts, and the refusals of the safety limits. Pure.
 */
import type { Attempt } from '../../response/attempts.js';
import type { Plan } from '../../response/plan.js';
import type { OutcomeView } from '../../response/plan-view.js';
import type { SymptomReading } from '../../response/recovery.js';
import type { ActionOutcome } from '../../response/run.js';
import { SLACK_LIMITS } from './limits.js';
import { code, escapeText, groupMention, joinMd, md, mention, truncateMd, type Mrkdwn } from './mrkdwn.js';
import { PLAN_ACTIONS, describeAction, describeChange, encodeButtonValue } from './plan.js';
import { hhmm } from '../../text/time.js';
import { context as contextBlock, section, type Block } from './vocabulary.js';

const context = (text: Mrkdwn): Block => contextBlock([text]);

export type { OutcomeView, TemporaryState } from '../../response/plan-view.js';

const STATUS_ICON: Record<ActionOutcome['status'], Mrkdwn> = {
  applied: md`:white_check_mark:`,
  replayed: md`:white_check_mark:`,
  dry_run: md`:test_tube:`,
  failed: md`:x:`,
  blocked: md`:no_entry:`,
};

export function describeOutcome(o: ActionOutcome, names?: Plan['names']): Mrkdwn {
  const head = md`${STATUS_ICON[o.status]} ${describeAction(o, names)}`;
  switch (o.status) {
    case 'applied':
    case 'replayed':
    case 'dry_run': {
      const change = o.before && o.after ? md` — ${escapeText(describeChange(o.before, o.after, names))}` : md``;
      const tag = o.status === 'replayed' ? md` _(already applied by an earlier attempt: the bridge replayed it, nothing ran twice)_`
        : o.status === 'dry_run' ? md` _(dry run: nothing changed)_` : md``;
      const team = o.teamEffect ? md`\n      :busts_in_silhouette: *Team:* ${escapeText(o.teamEffect)}` : md``;
      return md`${head}${change}${tag}${team}`;
    }
    case 'failed':
      return md`${head} — failed: ${escapeText(o.error ?? 'unknown error')}`;
    case 'blocked':
      return md`${head} — not run: ${escapeText(o.error ?? 'blocked')}`;
  }
}

function headline(plan: Plan, view: OutcomeView): Mrkdwn {
  const { run, verify } = view;
  if (run.dryRunOnly && run.ok) return md`:test_tube: *Dry run only* — ${escapeText(plan.runbookTitle)}: the bridge predicted the changes below; nothing changed (RESPONSE_DRY_RUN_ONLY is on).`;
  if (!run.ok) {
    if (run.stoppedBy === 'kill_switch') return md`:no_entry: *Not run: automation is switched off.*`;
    if (run.stoppedBy === 'circuit_breaker') return md`:no_entry: *Stopped: the circuit breaker is open.*`;
    return md`:x: *The plan failed* before all its actions ran.`;
  }
  if (verify === null) return md`:hourglass_flowing_sand: *Ran* ${run.actions.length} action(s); verifying after ${plan.settleS} s…`;
  const r = view.recovery;
  if (!r) return verify.passed ? md`:white_check_mark: *Fixed and verified.*` : md`:x: *Ran, but verification failed.*`;
  const why = escapeText(r.summary);
  switch (r.verdict) {
    case 'not_effective': return md`:x: *Ran, but verification failed* — not effective. ${why}`;
    case 'resolved': return r.confirmed
      ? md`:white_check_mark: *Fixed and verified — resolved.* ${why}`
      : r.settled
        ? md`:white_check_mark: *Resolved* — no failure, but no traffic went through these agents to confirm it. ${why}`
        : md`:white_check_mark: *Resolved, not confirmed by traffic yet* — looking again. ${why}`;
    case 'unresolved': return md`:x: *Not resolved — the cause is still present.* ${why}`;
    case 'mitigated':
      return view.rechecking
        ? md`:large_orange_diamond: *Mitigated, cause still present* — the temporary actions ended; looking again whether it recovers… ${why}`
        : md`:large_orange_diamond: *Mitigated, cause still present.* ${why}`;
  }
}

const SYMPTOM_ICON = (s: SymptomReading): Mrkdwn => {
  if (s.held) return md`:double_vertical_bar:`;
  if (s.failing) return md`:x:`;
  return s.window && s.window.handled > 0 ? md`:white_check_mark:` : md`:heavy_minus_sign:`;
};

/** The state word of the notification text. */
function stateWord(view: OutcomeView): string {
  if (!view.run.ok) return 'failed';
  if (view.verify === null) return 'verifying';
  const r = view.recovery;
  if (!r) return view.verify.passed ? 'verified' : 'verification failed';
  return { resolved: 'resolved', mitigated: 'mitigated, cause still present', not_effective: 'not effective', unresolved: 'not resolved, cause still present' }[r.verdict];
}

/** The outcome message of a plan in its current state. */
export function buildOutcomeMessage(plan: Plan, view: OutcomeView): { text: Mrkdwn; blocks: Block[] } {
  const blocks: Block[] = [section(md`${headline(plan, view)}\nPlan ${code(plan.id)} on runtime ${code(plan.runtime)}`)];
  const lines = view.run.actions.map((o) => describeOutcome(o, plan.names));
  const notRun = plan.actions.length - view.run.actions.length;
  if (notRun > 0) lines.push(md`:white_small_square: ${notRun} further action(s) not run`);
  blocks.push(section(lines.length > 0 ? joinMd(lines, '\n') : md`No action ran.`));
  // The reason, unless a failed action's line already says it.
  if (view.run.stopReason && !view.run.actions.some((a) => a.status === 'failed')) blocks.push(section(escapeText(view.run.stopReason)));
  if (view.verify) {
    const ev = view.verify.results.map((r) => md`${r.passed ? md`:white_check_mark:` : md`:x:`} ${escapeText(r.evidence)}`);
    const title = view.recovery ? md`The action` : md`Verification`;
    blocks.push(section(md`*${title}* (${view.verify.passed ? md`took effect` : md`did not take effect`}):\n${joinMd(ev, '\n')}`));
  }
  if (view.recovery && view.recovery.symptoms.length > 0) {
    const r = view.recovery;
    const ev = r.symptoms.map((x) => md`${SYMPTOM_ICON(x)} ${escapeText(x.evidence)}`);
    const when = r.stage === 'after_release' ? md`after the release` : md`after the action`;
    blocks.push(section(md`*The symptom* (${when}, read at ${escapeText(r.at.slice(11, 19))} UTC):\n${joinMd(ev, '\n')}`));
  }
  if (view.attempts) {
    blocks.push(context(md`Failed attempt ${view.attempts.count} of ${view.attempts.max} for this failure${view.attempts.count >= view.attempts.max ? md` — automation stops here and humans are called in` : md``}.`));
  }
  const t = view.temporary;
  if (t.reverted) {
    const why = t.reverted.why === 'ttl' ? md`its TTL ran out` : t.reverted.why === 'verify_failed' ? md`verification failed` : md`${mention(t.reverted.by)} asked`;
    blocks.push(context(md`:leftwards_arrow_with_hook: Temporary actions reverted at ${escapeText(hhmm(t.reverted.at))} because ${why}.`));
  } else if (t.kept) {
    blocks.push(context(md`:pushpin: Kept by ${mention(t.kept.by)} at ${escapeText(hhmm(t.kept.at))} — temporary actions will not revert by themselves.`));
  } else if (t.active) {
    blocks.push(context(md`Temporary actions revert by themselves${t.revertAt ? md` at ${escapeText(hhmm(Date.parse(t.revertAt)))}` : md``} unless someone clicks Keep.`));
    const value = encodeButtonValue(plan.id, plan.hash);
    blocks.push({
      type: 'actions',
      block_id: `outcome_${plan.id}`.slice(0, 255),
      elements: [
        {
          type: 'button', action_id: PLAN_ACTIONS.keep, text: { type: 'plain_text', text: 'Keep' }, style: 'primary', value,
          confirm: {
            title: { type: 'plain_text', text: 'Keep these actions?' },
            text: { type: 'plain_text', text: 'They will stay in force until someone reverts them by hand (release / restore).' },
            confirm: { type: 'plain_text', text: 'Keep' }, deny: { type: 'plain_text', text: 'Cancel' },
          },
        },
        {
          type: 'button', action_id: PLAN_ACTIONS.revert, text: { type: 'plain_text', text: 'Revert now' }, style: 'danger', value,
          confirm: {
            title: { type: 'plain_text', text: 'Revert now?' },
            text: { type: 'plain_text', text: 'The temporary actions are undone at once.' },
            confirm: { type: 'plain_text', text: 'Revert' }, deny: { type: 'plain_text', text: 'Cancel' }, style: 'danger',
          },
        },
      ],
    });
  }
  return { text: truncateMd(escapeText(`Recovery ${plan.id} on ${plan.runtime}: ${stateWord(view)}`), SLACK_LIMITS.messageText), blocks: blocks.slice(0, SLACK_LIMITS.blocksPerMessage) };
}

/** The escalation after `max` failed attempts: mentions the on-call group and lists everything tried. */
export function buildEscalationMessage(plan: Plan, attempts: readonly Attempt[], max: number): { text: Mrkdwn; blocks: Block[] } {
  // The one deliberate ping of the bot: the runbook's on-call group (a validated id), or @here.
  const who = plan.escalation.oncallGroup ? groupMention(plan.escalation.oncallGroup) : md`<!here>`;
  const mins = Math.round(plan.escalation.windowS / 60);
  const tried = attempts.slice(-10).map((a, i) => {
    const what = escapeText(a.tried.length ? a.tried.join('; ') : 'nothing ran');
    return md`${i + 1}. ${code(a.planId)} at ${escapeText(a.at.slice(11, 16))} UTC — ${what} → ${escapeText(a.outcome)}`;
  });
  const blocks: Block[] = [
    section(md`:rotating_light: ${who} *Automation stopped for this failure*: ${attempts.length} failed attempts in the last ${mins} min (the limit is ${max}). A human needs to take over.`),
    section(md`*Everything tried* (${code(plan.runbookId)} on ${code(plan.runtime)}):\n${tried.length > 0 ? joinMd(tried, '\n') : md`no attempt recorded`}`),
    context(md`No new plan for this failure is run automatically until the attempts age out. The full record: ${code(`/autogen audit ${plan.incidentId ?? plan.id}`)}`),
  ];
  return { text: truncateMd(escapeText(`Escalation: automation stopped for ${plan.runbookId} on ${plan.runtime} after ${attempts.length} failed attempts`), SLACK_LIMITS.messageText), blocks };
}
