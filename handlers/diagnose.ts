/**
 * `diagnose` jobs: read the agent's data from its runtime bridge in parallel, run the seed's checks
 * (pure, `src/diagnosis`), post the Block Kit report through the outbox. A bridge that is down or slow is
 * retried with back-off; on the last attempt the channel gets a clear "runtime unreachable" report.
 * `mode: 'logs'` answers the "Show logs" button in the report's thread.
 */
import type { Job } from 'bullmq';
import { isOpsError, type OpsError } from '../src/errors.js';
import { diagnoseAgent, unreachableReport } from '../src/diagnosis/diagnose.js';
import { readAgentData } from '../src/runtime/agent-data.js';
import { resolveAgentRef } from '../src/runtime/resolve-agent.js';
import { thresholdsFor } from '../src/diagnosis/thresholds.js';
import { reportMessage } from '../src/slack/blocks/report.js';
import { logsMessage, logLine } from '../src/slack/blocks/logs.js';
import type { DiagnoseJob } from '../src/queues/payloads.js';
import type { Processor } from '../src/queues/worker.js';
import type { WorkerDeps } from './index.js';

function isLastAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** Bridge failures that deserve a report instead of silence. */
function isBridgeFailure(err: unknown): err is OpsError {
  return isOpsError(err) && ['RUNTIME_UNREACHABLE', 'RUNTIME_AUTH_FAILED', 'RUNTIME_BAD_RESPONSE', 'RUNTIME_REQUEST_REJECTED'].includes(err.code);
}

export function createDiagnoseProcessor(deps: WorkerDeps): Processor<'diagnose'> {
  return async (p: DiagnoseJob, job: Job) => {
    const log = deps.logger.child({ job_id: job.id, agent: p.agent, runtime: p.runtime, incident_id: p.incident_id });
    const bridge = deps.bridgeFor(p.runtime);
    const windowS = deps.config.diagnose.logWindowS;
    const where = { channel: p.channel, ...(p.thread_ts ? { thread_ts: p.thread_ts } : {}) };

    if (p.mode === 'logs') {
      const agent = resolveAgentRef(p.agent, (await bridge.agents()).agents, p.runtime)?.type ?? p.agent;
      const page = await bridge.logs({ agent, since: windowS, level: 'INFO', limit: 500 });
      const msg = logsMessage(p.agent, p.runtime, page.records, Math.round(windowS / 60));
      await deps.outbox.post({ ...where, text: msg.text, blocks: msg.blocks, priority: 'normal' }, `post-${job.id}`);
      if (msg.truncated) {
        await deps.outbox.upload({ ...where, filename: `${p.agent}-${p.runtime}-logs.txt`, title: `Logs of ${p.agent}`, content: page.records.map(logLine).join('\n') });
      }
      return { posted: 'logs', records: page.records.length };
    }

    let report;
    try {
      const input = await readAgentData(bridge, p.agent, windowS);
      report = diagnoseAgent(input, { now: deps.now(), thresholds: thresholdsFor(deps.config, p.runtime) });
    } catch (err) {
      if (isOpsError(err, 'AGENT_AMBIGUOUS')) {
        // A question back to the person who asked, not a report for the channel.
        const text = `${err.userText()}`;
        if (p.user) await deps.outbox.ephemeral({ ...where, user: p.user, text });
        else await deps.outbox.post({ ...where, text, priority: 'normal' }, `post-${job.id}`);
        log.info({ code: err.code, choices: err.details.choices }, 'agent name is ambiguous; asked to choose');
        return { verdict: null, category: null, ambiguous: err.details.choices };
      }
      if (!isBridgeFailure(err)) throw err;
      if (err.transient && !isLastAttempt(job)) throw err; // back-off and try again
      log.warn({ err, code: err.code }, 'runtime bridge failed; posting an unreachable report');
      const reason = typeof err.details.reason === 'string' ? `${err.details.reason}` : `${err.code}: ${err.message}`;
      report = unreachableReport(p.agent, p.runtime, bridge.url, reason, deps.now());
    }
    const msg = reportMessage(report);
    const notifyJobId = await deps.outbox.post({
      ...where,
      text: msg.text,
      blocks: msg.blocks,
      priority: 'high',
      ts_key: p.ts_key ?? `diag-${job.id}`,
    }, `post-${job.id}`);
    const category = report.classification?.category ?? null;
    log.info({ verdict: report.verdict, category, notify_job_id: notifyJobId }, 'diagnosis posted');
    return { verdict: report.verdict, category, notify_job_id: notifyJobId, ts_key: p.ts_key ?? `diag-${job.id}` };
  };
}
