/**
 * The plan buttons' protocol: their `action_id`s and the value each carries (plan id and the hash of the
 * plan as shown). Owned by the approvals domain: the Slack renderer (src/slack/blocks/plan.ts) writes
 * them, the click handler (click.ts) reads them.
 */

/** `action_id`s of the plan surface (prefix `plan:`, routed by `src/slack/listeners/plan-actions.ts`). */
export const PLAN_ACTIONS = {
  approve: 'plan:approve',
  reject: 'plan:reject',
  replan: 'plan:replan',
  keep: 'plan:keep',
  revert: 'plan:revert',
} as const;

/** What a plan button carries: the plan id and the hash of the plan as shown. */
export interface PlanButtonValue {
  readonly p: string;
  readonly h: string;
}

/** The longest value a button carries (Slack's Block Kit limit for a button's `value`). */
const MAX_VALUE = 2_000;

export function encodeButtonValue(planId: string, hash: string): string {
  return JSON.stringify({ p: planId, h: hash } satisfies PlanButtonValue);
}

/** Parses a plan button value; null when it is not one of ours. */
export function decodeButtonValue(value: string | undefined): PlanButtonValue | null {
  if (!value || value.length > MAX_VALUE) return null;
  try {
    const v = JSON.parse(value) as unknown;
    if (v && typeof v === 'object' && typeof (v as PlanButtonValue).p === 'string' && typeof (v as PlanButtonValue).h === 'string'
      && /^pl-[a-z0-9-]{1,60}$/.test((v as PlanButtonValue).p) && /^[a-f0-9]{64}$/.test((v as PlanButtonValue).h)) {
      return { p: (v as PlanButtonValue).p, h: (v as PlanButtonValue).h };
    }
  } catch {
    /* not JSON */
  }
  return null;
}
