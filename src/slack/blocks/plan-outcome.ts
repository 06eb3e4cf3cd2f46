/**
 * The outcome of a plan, posted in the incident thread after it runs and edited in place as it is verified,
 * kept or reverted: one ✅/❌ line per action with the state before and after, one per check with its
 * evidence, the attempt count, and Keep / Revert now for temporary actions. Also the escalation that calls
 * humans in after the seed's three failed attempts, and the refusals of the safety limits. Pure.
 */
import type { Attempt } from '../../response/attempts.js';
import type { Plan } from '../../response/plan.js';
import type { RecoveryJudgement, SymptomReading } from '../../response/recovery.js';
import type { ActionOutcome, RunOutcome } from '../../response/run.js';
import type { VerifyOutcome } from '../../response/verify-checks.js';
import { SLACK_LIMITS, truncate } from './limits.js';
import { code, escapeText } from './mrkdwn.js';
import { PLAN_ACTIONS, describeAction, describeChange, encodeButtonValue, hhmm } from './plan.js';
import { context as contextBlock, section, type Block } from './vocabulary.js';

const context = (text: string): Block => contextBlock([text]);

export interface TemporaryState {
  /** Some temporary action is in force (applied, not reverted, not kept). */
  readonly active: boolean;
  /** When the bridge reverts it by itself (ISO). */
  readonly revertAt?: string | null;
  readonly kept?: { readonly by: string; readonly at: number } | null;
  readonly reverted?: { readonly by: string; readonly at: number; readonly why: 'ttl' | 'verify_failed' | 'manual' } | null;
}

export interface OutcomeView {
  readonly run: RunOutcome;
  /** null while the verify job has not run yet. */
  readonly verify: VerifyOutcome | null;
  /** The latest verdict on the incident's symptom; null while not judged (or from an earlier version). */
  readonly recovery?: RecoveryJudgement | null;
  /** The temporary actions ended while the verdict was "mitigated": looking again. */
  readonly rechecking?: boolean;
  /** Set when the run or its verification failed: this failure's recent failed attempts. */
  readonly attempts?: { readonly count: number; readonly max: number } | null;
  readonly temporary: TemporaryState;
}

const STATUS_ICON: Record<ActionOutcome['status'], string> = {
  applied: ':white_check_mark:',
  replayed: ':white_check_mark:',
  dry_run: ':test_tube:',
  failed: ':x:',
  blocked: ':no_entry:',
};

export function describeOutcome(o: ActionOutcome): string {
  const head = `${STATUS_ICON[o.status]} ${describeAction(o)}`;
  switch (o.status) {
    case 'applied':
    case 'replayed':
    case 'dry_run': {
      const change = o.before && o.after ? ` — ${escapeText(describeChange(o.before, o.after))}` : '';
      const tag = o.status === 'replayed' ? ' _(already applied by an earlier attempt: the bridge replayed it, nothing ran twice)_'
        : o.status === 'dry_run' ? ' _(dry run: nothing changed)_' : '';
      return `${head}${change}${tag}`;
    }
    case 'failed':
      return `${head} — failed: ${escapeText(o.error ?? 'unknown error')}`;
    case 'blocked':
      return `${head} — not run: ${escapeText(o.error ?? 'blocked')}`;
  }
}

function headline(plan: Plan, view: OutcomeView): string {
  const { run, verify } = view;
  if (run.dryRunOnly && run.ok) return `:test_tube: *Dry run only* — ${plan.runbookTitle}: the bridge predicted the changes below; nothing changed (RESPONSE_DRY_RUN_ONLY is on).`;
  if (!run.ok) {
    if (run.stoppedBy === 'kill_switch') return ':no_entry: *Not run: automation is switched off.*';
    if (run.stoppedBy === 'circuit_breaker') return ':no_entry: *Stopped: the circuit breaker is open.*';
    return ':x: *The plan failed* before all its actions ran.';
  }
  if (verify === null) return `:hourglass_flowing_sand: *Ran* ${run.actions.length} action(s); verifying after ${plan.settleS} s…`;
  const r = view.recovery;
  if (!r) return verify.passed ? ':white_check_mark: *Fixed and verified.*' : ':x: *Ran, but verification failed.*';
  const why = escapeText(r.summary);
  switch (r.verdict) {
    case 'not_effective': return `:x: *Ran, but verification failed* — not effective. ${why}`;
    case 'resolved': return r.confirmed
      ? `:white_check_mark: *Fixed and verified — resolved.* ${why}`
      : r.settled
        ? `:white_check_mark: *Resolved* — no failure, but no traffic went through these agents to confirm it. ${why}`
        : `:white_check_mark: *Resolved, not confirmed by traffic yet* — looking again. ${why}`;
    case 'unresolved': return `:x: *Not resolved — the cause is still present.* ${why}`;
    case 'mitigated':
      return view.rechecking
        ? `:large_orange_diamond: *Mitigated, cause still present* — the temporary actions ended; looking again whether it recovers… ${why}`
        : `:large_orange_diamond: *Mitigated, cause still present.* ${why}`;
  }
}

const SYMPTOM_ICON = (s: SymptomReading): string => {
  if (s.held) return ':double_vertical_bar:';
  if (s.failing) return ':x:';
  return s.window && s.window.handled > 0 ? ':white_check_mark:' : ':heavy_minus_sign:';
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
export function buildOutcomeMessage(plan: Plan, view: OutcomeView): { text: string; blocks: Block[] } {
  const blocks: Block[] = [section(truncate(`${headline(plan, view)}\nPlan ${code(plan.id)} on runtime ${code(plan.runtime)}`, SLACK_LIMITS.sectionText))];
  const lines = view.run.actions.map(describeOutcome);
  const notRun = plan.actions.length - view.run.actions.length;
  if (notRun > 0) lines.push(`:white_small_square: ${notRun} further action(s) not run`);
  blocks.push(section(lines.join('\n') || 'No action ran.'));
  // The reason, unless a failed action's line already says it.
  if (view.run.stopReason && !view.run.actions.some((a) => a.status === 'failed')) blocks.push(section(escapeText(view.run.stopReason)));
  if (view.verify) {
    const ev = view.verify.results.map((r) => `${r.passed ? ':white_check_mark:' : ':x:'} ${escapeText(r.evidence)}`);
    const title = view.recovery ? 'The action' : 'Verification';
    blocks.push(section(truncate(`*${title}* (${view.verify.passed ? 'took effect' : 'did not take effect'}):\n${ev.join('\n')}`, SLACK_LIMITS.sectionText)));
  }
  if (view.recovery && view.recovery.symptoms.length > 0) {
    const r = view.recovery;
    const ev = r.symptoms.map((x) => `${SYMPTOM_ICON(x)} ${escapeText(x.evidence)}`);
    const when = r.stage === 'after_release' ? 'after the release' : 'after the action';
    blocks.push(section(truncate(`*The symptom* (${when}, read at ${r.at.slice(11, 19)} UTC):\n${ev.join('\n')}`, SLACK_LIMITS.sectionText)));
  }
  if (view.attempts) {
    blocks.push(context(`Failed attempt ${view.attempts.count} of ${view.attempts.max} for this failure${view.attempts.count >= view.attempts.max ? ' — automation stops here and humans are called in' : ''}.`));
  }
  const t = view.temporary;
  if (t.reverted) {
    const why = t.reverted.why === 'ttl' ? 'its TTL ran out' : t.reverted.why === 'verify_failed' ? 'verification failed' : `<@${t.reverted.by}> asked`;
    blocks.push(context(`:leftwards_arrow_with_hook: Temporary actions reverted at ${hhmm(t.reverted.at)} because ${why}.`));
  } else if (t.kept) {
    blocks.push(context(`:pushpin: Kept by <@${t.kept.by}> at ${hhmm(t.kept.at)} — temporary actions will not revert by themselves.`));
  } else if (t.active) {
    blocks.push(context(`Temporary actions revert by themselves${t.revertAt ? ` at ${hhmm(Date.parse(t.revertAt))}` : ''} unless someone clicks Keep.`));
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
  return { text: truncate(`Recovery ${plan.id} on ${plan.runtime}: ${stateWord(view)}`, SLACK_LIMITS.messageText), blocks: blocks.slice(0, SLACK_LIMITS.blocksPerMessage) };
}

/** The escalation after `max` failed attempts: mentions the on-call group and lists everything tried. */
export function buildEscalationMessage(plan: Plan, attempts: readonly Attempt[], max: number): { text: string; blocks: Block[] } {
  const who = plan.escalation.oncallGroup ? `<!subteam^${plan.escalation.oncallGroup}>` : '<!here>';
  const mins = Math.round(plan.escalation.windowS / 60);
  const tried = attempts.slice(-10).map((a, i) => {
    const what = a.tried.length ? a.tried.join('; ') : 'nothing ran';
    return `${i + 1}. ${code(a.planId)} at ${a.at.slice(11, 16)} UTC — ${what} → ${escapeText(a.outcome)}`;
  });
  const blocks: Block[] = [
    section(`:rotating_light: ${who} *Automation stopped for this failure*: ${attempts.length} failed attempts in the last ${mins} min (the limit is ${max}). A human needs to take over.`),
    section(`*Everything tried* (${code(plan.runbookId)} on ${code(plan.runtime)}):\n${tried.join('\n') || 'no attempt recorded'}`),
    context(`No new plan for this failure is run automatically until the attempts age out. The full record: \`/autogen audit ${plan.incidentId ?? plan.id}\``),
  ];
  return { text: `Escalation: automation stopped for ${plan.runbookId} on ${plan.runtime} after ${attempts.length} failed attempts`, blocks };
}
