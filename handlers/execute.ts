/**
 * `execute` jobs: run one approved plan (job id `exec-<planId>`). Each bridge call carries an idempotency
 * key derived from the plan and the action, so a retried job — or one whose worker died after the bridge
 * acted — never acts twice. Thin: the flow is `src/response/carry-out.ts`.
 */
import type { Job } from 'bullmq';
import { isOpsError } from '../src/errors.js';
import { carryOutPlan, reportGaveUp } from '../src/response/carry-out.js';
import { responseDepsOf } from '../src/response/context.js';
import type { RunPorts } from '../src/response/run.js';
import { reportResumed, resumesLostRun } from '../src/response/resumed.js';
import type { Processor } from '../src/queues/worker.js';
import type { WorkerDeps } from './index.js';

export interface ExecuteHooks {
  /** Test hook: runs after the bridge answered an action, before the outcome is stored (to kill the worker there). */
  afterBridgeCall?: RunPorts['afterBridgeCall'];
}

export function createExecuteProcessor(deps: WorkerDeps, hooks: ExecuteHooks = {}): Processor<'execute'> {
  const rd = responseDepsOf(deps, hooks.afterBridgeCall ? { afterBridgeCall: hooks.afterBridgeCall } : {});
  return async (p, job: Job) => {
    // its worker died mid-run (the job was taken back as stalled): the thread says so, then the run resumes
    if (resumesLostRun(job)) await reportResumed(rd, p.plan_id, job.stalledCounter);
    try {
      const run = await carryOutPlan(rd, p.plan_id);
      return run ? { ok: run.ok, stopped_by: run.stoppedBy ?? null, actions: run.actions.map((a) => a.status) } : { ok: false, ignored: true };
    } catch (err) {
      // Transient failures retry with back-off (the idempotency keys make that safe); on the last attempt
      // the thread is told instead of left waiting.
      const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      if (!last || !isOpsError(err) || !err.transient) throw err;
      await reportGaveUp(rd, p.plan_id, 'run', `${err.code}: ${err.message}`);
      return { ok: false, gave_up: err.code };
    }
  };
}
