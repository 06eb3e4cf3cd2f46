/**
 * A diagnosis whose runtime was briefly unreachable keeps trying for a bounded time a restart fits in
 * (`DIAGNOSE_RETRY_WINDOW_S`, default 60 s): the "unreachable" report is posted at once, as before, and says
 * until when the bot keeps asking; a chain of delayed `diagnose` jobs (`recheck`, one every
 * `RECHECK_EVERY_MS`, each a single attempt) asks the runtime again, and the first answer EDITS that report
 * into the real diagnosis (chat.update through the outbox). When the window closes without an answer the
 * report is edited once more to say the bot stopped trying.
 *
 * The chain lives in Redis (BullMQ delayed jobs with ids derived from the first job), so any worker
 * replica takes the next look and a worker restart does not lose it.
 */
import type { Job } from 'bullmq';
import { isOpsError } from '../src/errors.js';
import { diagnoseAgent, unreachableReport } from '../src/diagnosis/diagnose.js';
import type { Report } from '../src/diagnosis/report.js';
import { thresholdsFor } from '../src/diagnosis/thresholds.js';
import type { DiagnoseJob } from '../src/queues/payloads.js';
import { readAgentData } from '../src/runtime/agent-data.js';
import { reportMessage } from '../src/slack/blocks/report.js';
import { hhmmss } from '../src/text/time.js';
import type { WorkerDeps } from './index.js';

/** How long between two looks at a runtime that did not answer, ms. */
export const RECHECK_EVERY_MS = 2_000;

const BRIDGE_FAILURES = ['RUNTIME_UNREACHABLE', 'RUNTIME_AUTH_FAILED', 'RUNTIME_BAD_RESPONSE', 'RUNTIME_REQUEST_REJECTED'];

/** The "unreachable" report as first posted: it says the bot keeps trying, and until when. */
export function withRetryNote(report: Report, until: Date): Report {
  return { ...report, headline: `${report.headline} Trying again until ${hhmmss(until)}; this report is edited when the runtime answers.` };
}

/** Whether a failed diagnosis gets a second look: a transient bridge failure, and a window configured. */
export function recheckWanted(deps: Pick<WorkerDeps, 'config'>, err: unknown, p: DiagnoseJob): boolean {
  return deps.config.diagnose.retryWindowS > 0 && p.recheck === undefined && isOpsError(err) && err.transient && BRIDGE_FAILURES.includes(err.code);
}

/** The window's end for a report posted now. */
export function recheckUntil(deps: Pick<WorkerDeps, 'config' | 'now'>): Date {
  return new Date(deps.now().getTime() + deps.config.diagnose.retryWindowS * 1000);
}

/** Enqueues look number `n` (delayed, one attempt, idempotent job id). */
export async function scheduleRecheck(deps: Pick<WorkerDeps, 'queues'>, p: DiagnoseJob, recheck: NonNullable<DiagnoseJob['recheck']>): Promise<void> {
  await deps.queues.add('diagnose', { ...p, recheck }, {
    jobId: `recheck-${recheck.origin}-${recheck.n}`, delay: RECHECK_EVERY_MS, attempts: 1,
  });
}

/** One look: edit the report with the diagnosis when the runtime answers, else schedule the next (or give up). */
/** `onReport`: called with the diagnosis once the runtime answers again (an incident's plan follows it). */
export async function recheckDiagnosis(
  deps: WorkerDeps, p: DiagnoseJob & { recheck: NonNullable<DiagnoseJob['recheck']> }, job: Job, onReport?: (report: Report) => Promise<void>,
): Promise<Record<string, unknown>> {
  const r = p.recheck;
  const log = deps.logger.child({ job_id: job.id, agent: p.agent, runtime: p.runtime, incident_id: p.incident_id, recheck: r.n });
  const bridge = deps.bridgeFor(p.runtime);
  const now = deps.now();
  const downMs = Math.max(0, now.getTime() - Date.parse(r.since));
  const edit = async (report: Report): Promise<void> => {
    const msg = reportMessage(report);
    await deps.outbox.update({ channel: p.channel, ts_key: r.report_ts_key, text: msg.text, blocks: msg.blocks, priority: 'high', coalesce_key: `recheck-${r.origin}` });
  };
  let report: Report;
  try {
    const input = await readAgentData(bridge, p.agent, deps.config.diagnose.logWindowS);
    report = diagnoseAgent(input, { now, thresholds: thresholdsFor(deps.config, p.runtime) });
  } catch (err) {
    if (!isOpsError(err) || !BRIDGE_FAILURES.includes(err.code)) throw err;
    const reason = typeof err.details.reason === 'string' ? err.details.reason : `${err.code}: ${err.message}`;
    if (err.transient && now.getTime() < Date.parse(r.until)) {
      await scheduleRecheck(deps, p, { ...r, n: r.n + 1 });
      log.debug({ code: err.code }, 'runtime still unreachable; looking again');
      return { rechecking: true, n: r.n };
    }
    const final = unreachableReport(p.agent, p.runtime, bridge.url, reason, now);
    const tried = Math.round(downMs / 1000);
    await edit(err.transient ? { ...final, headline: `${final.headline} Tried again for ${tried} s without an answer; run the diagnosis again once it is back.` } : final);
    log.warn({ code: err.code, tried_s: tried }, 'runtime still unreachable at the end of the retry window; report says so');
    return { rechecking: false, gave_up: err.code };
  }
  await edit({ ...report, headline: `${report.headline} (The runtime answered again after ${Math.round(downMs / 1000)} s; this replaces the "unreachable" report.)` });
  log.info({ event: 'dependency_up', dependency: 'runtime', down_ms: downMs, verdict: report.verdict }, 'runtime answered again; diagnosis report edited');
  if (onReport) await onReport(report);
  return { verdict: report.verdict, edited: true, n: r.n };
}
