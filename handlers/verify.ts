/**
 * `verify` jobs: after the settle time, check that the action took effect and whether the incident's
 * symptom is gone (resolved / mitigated / not effective) and post the outcome with evidence (not effective
 * → revert, count the attempt, escalate after three); look again while a recovery is unconfirmed and after
 * the release; at the TTL, confirm the revert; Keep / Revert now from the outcome message. Thin: the flows
 * are `src/response/conclude.ts`.
 */
import type { Job } from 'bullmq';
import { isOpsError } from '../src/errors.js';
import { reportGaveUp } from '../src/response/carry-out.js';
import { confirmTtlRevert, recheckPlan, settleTemporaries, verifyPlan } from '../src/response/conclude.js';
import { responseDepsOf } from '../src/response/context.js';
import type { Processor } from '../src/queues/worker.js';
import type { WorkerDeps } from './index.js';

export function createVerifyProcessor(deps: WorkerDeps): Processor<'verify'> {
  const rd = responseDepsOf(deps);
  return async (p, job: Job) => {
    switch (p.kind) {
      case 'verify': {
        try {
          const outcome = await verifyPlan(rd, p.plan_id);
          return { passed: outcome?.passed ?? null };
        } catch (err) {
          const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
          if (!last || !isOpsError(err) || !err.transient) throw err;
          await reportGaveUp(rd, p.plan_id, 'verify', `${err.code}: ${err.message}`);
          return { passed: false, gave_up: err.code };
        }
      }
      case 'recheck': {
        try {
          const j = await recheckPlan(rd, p.plan_id, p.stage, p.round);
          return { verdict: j?.verdict ?? null };
        } catch (err) {
          const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
          if (!last || !isOpsError(err) || !err.transient) throw err;
          // A later look (or the monitor) still follows; the outcome keeps its last verdict.
          rd.logger.warn({ plan_id: p.plan_id, stage: p.stage, code: err.code }, 'could not look at the symptom again: runtime unreachable');
          return { verdict: null, gave_up: err.code };
        }
      }
      case 'ttl':
        return { ttl: await confirmTtlRevert(rd, p.plan_id, p.round) };
      case 'keep':
      case 'revert': {
        const refusal = await settleTemporaries(rd, p.plan_id, p.kind, p.user);
        if (refusal) await rd.outbox.ephemeral({ channel: p.channel, user: p.user, text: refusal });
        return { done: refusal === null };
      }
    }
  };
}
