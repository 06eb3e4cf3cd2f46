/**
 * `diagnose` jobs: read the agent's data from its runtime bridge in parallel, run the seed's checks
 * (pure, `src/diagnosis`), post the Block Kit report through the outbox. A bridge that is down or slow is
 * retried with back-off; on the last attempt the channel gets a clear "runtime unreachable" report, and the
 * bot keeps asking for DIAGNOSE_RETRY_WINDOW_S, editing that report when the runtime answers
 * (handlers/diagnose-recheck.ts).
 * `mode: 'logs'` answers the "Show logs" button in the report's thread.
 */
import type { Job } from 'bullmq';
import { isOpsError, OpsError } from '../src/errors.js';
import { closestAgentType } from '../src/diagnosis/checks/registration.js';
import { code, joinMd, md } from '../src/slack/blocks/mrkdwn.js';
import { errorAckText } from '../src/slack/commands/index.js';
import { diagnoseAgent, unreachableReport } from '../src/diagnosis/diagnose.js';
import { readAgentData } from '../src/runtime/agent-data.js';
import { resolveAgentRef } from '../src/runtime/resolve-agent.js';
import { thresholdsFor } from '../src/diagnosis/thresholds.js';
import { reportMessage } from '../src/slack/blocks/report.js';
import { logsMessage, logLine } from '../src/slack/blocks/logs.js';
import type { DiagnoseJob } from '../src/queues/payloads.js';
import type { Processor } from '../src/queues/worker.js';
import type { WorkerDeps } from './index.js';
import { recheckDiagnosis, recheckUntil, recheckWanted, scheduleRecheck, withRetryNote } from './diagnose-recheck.js';
import { fileTitle } from '../src/outbox/index.js';
import { incidentContext } from '../src/incidents/context.js';
import { onIncidentDiagnosed, type FollowUpContext } from '../src/incidents/follow-ups.js';
import { findingsOfReport } from '../src/response/findings.js';
import type { Report } from '../src/diagnosis/report.js';

function isLastAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** Bridge failures that deserve a report instead of silence. */
function isBridgeFailure(err: unknown): err is OpsError {
  return isOpsError(err) && ['RUNTIME_UNREACHABLE', 'RUNTIME_AUTH_FAILED', 'RUNTIME_BAD_RESPONSE', 'RUNTIME_REQUEST_REJECTED'].includes(err.code);
}

/** `AGENT_NOT_FOUND` for a name the runtime does not know, with "did you mean" and the registered types. */
export function agentNotFound(agent: string, runtime: string, known: readonly string[]): OpsError {
  const guess = closestAgentType(agent, known);
  const shown = known.slice(0, 30);
  const list = shown.length ? joinMd(shown.map((k) => code(k)), ', ') : md`none`;
  const more = known.length > shown.length ? md` and ${known.length - shown.length} more` : md``;
  const didYouMean = guess ? md` Did you mean ${code(guess)}?` : md``;
  return new OpsError('AGENT_NOT_FOUND', { runtime, agent, known: shown }, {
    detail: md`${code(agent)} is not registered in runtime ${code(runtime)}.${didYouMean} Registered: ${list}${more}.`,
  });
}

export function createDiagnoseProcessor(deps: WorkerDeps): Processor<'diagnose'> {
  let incidents: FollowUpContext | undefined;
  /**
   * An incident's diagnosis concluded: its plan is (re)made from the findings, one request per diagnosis
   * job. A failure here fails the job, which is retried: its report's post is idempotent (`post-<job id>`).
   */
  const planFromDiagnosis = async (p: DiagnoseJob, job: Job, report: Report, log: WorkerDeps['logger']): Promise<void> => {
    if (!p.incident_id) return;
    incidents ??= incidentContext(deps);
    const outcome = await onIncidentDiagnosed(incidents, p.incident_id, findingsOfReport(report), String(job.id ?? p.requested_at));
    log.info({ outcome }, 'incident plan after its diagnosis');
  };
  return async (p: DiagnoseJob, job: Job) => {
    const log = deps.logger.child({ job_id: job.id, agent: p.agent, runtime: p.runtime, incident_id: p.incident_id });
    const bridge = deps.bridgeFor(p.runtime);
    const windowS = deps.config.diagnose.logWindowS;
    const where = { channel: p.channel, ...(p.thread_ts ? { thread_ts: p.thread_ts } : {}) };
    // a slash command's answer reaches the person who asked even where the bot cannot post (not a member)
    const reply = { ...where, ...(p.response_url ? { response_url: p.response_url } : {}) };

    if (p.mode === 'logs') {
      const agent = resolveAgentRef(p.agent, (await bridge.agents()).agents, p.runtime)?.type ?? p.agent;
      const page = await bridge.logs({ agent, since: windowS, level: 'INFO', limit: 500 });
      const msg = logsMessage(p.agent, p.runtime, page.records, Math.round(windowS / 60));
      await deps.outbox.post({ ...where, text: msg.text, blocks: msg.blocks, priority: 'normal' }, `post-${job.id}`);
      if (msg.truncated) {
        await deps.outbox.upload({ ...where, filename: `${p.agent}-${p.runtime}-logs.txt`, title: fileTitle(`Logs of ${p.agent}`), content: page.records.map(logLine).join('\n') });
      }
      return { posted: 'logs', records: page.records.length };
    }
    // the runtime answering again makes the incident's plan from the diagnosis it now gives
    if (p.recheck) return recheckDiagnosis(deps, { ...p, recheck: p.recheck }, job, (report) => planFromDiagnosis(p, job, report, log));

    let report;
    let rechecking = false;
    try {
      const input = await readAgentData(bridge, p.agent, windowS);
      if (p.source === 'slash' && p.user && input.detail === undefined && input.logs.length === 0) {
        // The runtime knows nothing of that name (no registration, no log line): the person who typed it
        // gets the coded error the README promises, not a public "Failing" report about a typo.
        const err = agentNotFound(p.agent, p.runtime, input.info?.agent_types ?? []);
        await deps.outbox.ephemeral({ ...reply, user: p.user, text: errorAckText(err) });
        log.info({ code: err.code }, 'agent not registered in the runtime; told the person who asked');
        return { verdict: null, category: null, not_found: true };
      }
      report = diagnoseAgent(input, { now: deps.now(), thresholds: thresholdsFor(deps.config, p.runtime) });
    } catch (err) {
      if (isOpsError(err, 'AGENT_AMBIGUOUS')) {
        // A question back to the person who asked, not a report for the channel.
        const text = err.userText();
        if (p.user) await deps.outbox.ephemeral({ ...reply, user: p.user, text });
        else await deps.outbox.post({ ...where, text, priority: 'normal' }, `post-${job.id}`);
        log.info({ code: err.code, choices: err.details.choices }, 'agent name is ambiguous; asked to choose');
        return { verdict: null, category: null, ambiguous: err.details.choices };
      }
      if (!isBridgeFailure(err)) throw err;
      if (err.transient && !isLastAttempt(job)) throw err; // back-off and try again
      log.warn({ err, code: err.code }, 'runtime bridge failed; posting an unreachable report');
      const reason = typeof err.details.reason === 'string' ? `${err.details.reason}` : `${err.code}: ${err.message}`;
      report = unreachableReport(p.agent, p.runtime, bridge.url, reason, deps.now());
      if (recheckWanted(deps, err, p)) {
        // keep trying for DIAGNOSE_RETRY_WINDOW_S and edit this report when the runtime answers
        const until = recheckUntil(deps);
        report = withRetryNote(report, until);
        rechecking = true;
        await scheduleRecheck(deps, p, { origin: job.id ?? `diag-${Date.now()}`, report_ts_key: p.ts_key ?? `diag-${job.id}`, since: deps.now().toISOString(), until: until.toISOString(), n: 1 });
      }
    }
    const msg = reportMessage(report);
    const notifyJobId = await deps.outbox.post({
      ...reply,
      text: msg.text,
      blocks: msg.blocks,
      priority: 'high',
      ts_key: p.ts_key ?? `diag-${job.id}`,
    }, `post-${job.id}`);
    const category = report.classification?.category ?? null;
    log.info({ verdict: report.verdict, category, notify_job_id: notifyJobId }, 'diagnosis posted');
    // (an unreachable runtime being asked again: the plan waits for the diagnosis it will give)
    if (!rechecking) await planFromDiagnosis(p, job, report, log);
    return { verdict: report.verdict, category, notify_job_id: notifyJobId, ts_key: p.ts_key ?? `diag-${job.id}` };
  };
}
