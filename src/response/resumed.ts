/**
 * A lost worker's action: when an `execute` job is taken back after its worker died (BullMQ found its lock
 * lapsed — a "stalled" job, see `StallSettings` in src/queues/worker.ts), the plan's thread says so before
 * the run resumes, instead of showing only "approved" until the outcome. The run itself resumes safely:
 * stored outcomes are skipped and every bridge call carries its idempotency key (src/response/run.ts).
 */
import type { Job } from 'bullmq';
import { loadPlan } from '../approvals/consume.js';
import { code, rich } from '../view/rich-text.js';
import type { ResponseDeps } from './context.js';
import { threadOf } from './propose.js';

/** Whether this execution resumes one whose worker died: taken back as stalled, started before without finishing or failing. */
export function resumesLostRun(job: Pick<Job, 'stalledCounter' | 'attemptsStarted' | 'attemptsMade'>): boolean {
  return job.stalledCounter > 0 && job.attemptsStarted > job.attemptsMade + 1;
}

/** Posts "the worker running this was lost; resuming" in the plan's thread, once per time it is taken back. */
export async function reportResumed(deps: Pick<ResponseDeps, 'redis' | 'prefix' | 'outbox' | 'logger'>, planId: string, stalled: number): Promise<void> {
  const rec = await loadPlan(deps.redis, deps.prefix, planId);
  if (!rec) return;
  const plan = rec.plan;
  const text = rich`:warning: The worker running this was lost; resuming plan ${code(plan.id)} — actions that already ran are not run again.`;
  await deps.outbox.post({ channel: plan.channel, ...threadOf(plan), text, priority: 'high' }, `resumed-${plan.id}-${stalled}`);
  deps.logger.warn({ event: 'job_resumed', plan_id: plan.id, runtime: plan.runtime, incident_id: plan.incidentId, stalled }, 'the worker running this plan was lost; resuming');
}
