/**
 * `guide` jobs: the troubleshooting guide's subcommands (health, perf, message, logs, trace, inspect,
 * snapshot), the App Home tab and the message shortcut. For a subcommand: read what the tool needs from the
 * runtime bridge in parallel, run the pure analysis (`src/diagnosis`), post the report in the shared Block
 * Kit vocabulary (in the thread when asked from one) and upload long content as a file in the report's
 * thread. Bad input found only now (unknown agent or message id, a window the bridge refuses, a runtime
 * that is down after the retries) is answered with a specific ephemeral error; the job ends normally.
 */
import type { Job } from 'bullmq';
import { isOpsError, OpsError } from '../src/errors.js';
import { code, escapeText, joinMd, md } from '../src/slack/blocks/mrkdwn.js';
import type { GuideJob, GuideToolJob } from '../src/diagnosis/guide-job.js';
import { guideFollowUps } from '../src/diagnosis/guide-follow-ups.js';
import { unreachableReport, type GuideReport } from '../src/diagnosis/guide-report.js';
import { evaluateHealth } from '../src/diagnosis/health.js';
import { inspectReport } from '../src/diagnosis/inspect.js';
import { logsReport } from '../src/diagnosis/logs.js';
import { diagnoseMessage } from '../src/diagnosis/message.js';
import { diagnosePerformance } from '../src/diagnosis/performance.js';
import { packageSnapshot } from '../src/diagnosis/snapshot.js';
import { SnapshotStore, snapshotScope } from '../src/diagnosis/snapshot-store.js';
import { thresholdsFor, type Thresholds } from '../src/diagnosis/thresholds.js';
import { traceReport } from '../src/diagnosis/trace.js';
import type { FollowUp } from '../src/diagnosis/report.js';
import type { BridgeClient } from '../src/runtime/client.js';
import { guideReportMessage } from '../src/slack/blocks/guide.js';
import { glanceMessage, homeView, type RuntimeGlance } from '../src/slack/blocks/guide-home.js';
import { errorAckText, SUBCOMMANDS } from '../src/slack/commands/index.js';
import type { Processor } from '../src/queues/worker.js';
import type { WorkerDeps } from './index.js';
import { labelOf, resolveAgentRef } from '../src/runtime/resolve-agent.js';
import { fileTitle } from '../src/outbox/index.js';

/** Largest file the outbox uploads (its `upload` payload bound), with room for the cut notice. */
export const MAX_UPLOAD_CHARS = 990_000;
/** Recent deliveries read for `/autogen message` (the bridge's maximum page). */
const MESSAGE_PAGE = 1000;
/** Log records read for `/autogen logs` (the bridge's maximum page). */
const LOG_PAGE = 5000;
/** Agent details read for a runtime-wide `/autogen perf` (dependency calls live in the detail). */
const MAX_AGENT_DETAILS = 50;

interface Built {
  readonly report: GuideReport;
  readonly followUps: readonly FollowUp[];
}

function isLastAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** The bridge's own code for a 4xx it rejected, when the client did not map it to one of ours. */
function bridgeCode(err: unknown): string | undefined {
  return isOpsError(err, 'RUNTIME_REQUEST_REJECTED') && typeof err.details.bridge_code === 'string' ? err.details.bridge_code : undefined;
}

/** The registered types the user's names mean (see `resolveAgentRef`); `AGENT_NOT_FOUND` lists the names known. */
async function resolveAgents(bridge: BridgeClient, runtime: string, refs: readonly string[]): Promise<string[]> {
  const { agents } = await bridge.agents();
  return refs.map((ref) => {
    const found = resolveAgentRef(ref, agents, runtime);
    if (found) return found.type;
    const known = agents.map(labelOf).sort();
    throw new OpsError('AGENT_NOT_FOUND', { runtime, agent: ref, known }, { detail: md`${code(ref)} is not registered in runtime ${code(runtime)}; registered: ${known.length ? joinMd(known.map((k) => code(k)), ', ') : md`none`}.` });
  });
}

/** Keeps a file within the upload bound: compact JSON first, then a cut with a notice (never silent). */
export function fitFile(content: string, mimeType: string): { content: string; cut: boolean } {
  if (content.length <= MAX_UPLOAD_CHARS) return { content, cut: false };
  if (mimeType === 'application/json') {
    try {
      const compact = JSON.stringify(JSON.parse(content));
      if (compact.length <= MAX_UPLOAD_CHARS) return { content: compact, cut: false };
    } catch { /* not JSON after all: cut as text */ }
  }
  const notice = `\n\n[cut at ${MAX_UPLOAD_CHARS} of ${content.length} characters by autogen-ops; the full content is kept by the bot]\n`;
  return { content: content.slice(0, MAX_UPLOAD_CHARS - notice.length) + notice, cut: true };
}

async function runTool(p: GuideToolJob, bridge: BridgeClient, t: Thresholds, now: Date, deps: WorkerDeps): Promise<Built> {
  const runtime = p.runtime;
  switch (p.tool) {
    case 'health': {
      const [info, { agents }] = await Promise.all([bridge.runtime(), bridge.agents()]);
      const report = evaluateHealth({ runtime, info, agents, thresholds: t, now });
      return { report, followUps: guideFollowUps(report, { agentTypes: info.agent_types }) };
    }
    case 'perf': {
      if (p.agent) {
        const [agent] = await resolveAgents(bridge, runtime, [p.agent]);
        const [info, detail] = await Promise.all([bridge.runtime(), bridge.agent(agent!)]);
        const report = diagnosePerformance({ runtime, info, target: { kind: 'agent', agent: detail }, thresholds: t, now });
        return { report, followUps: guideFollowUps(report, { agentTypes: info.agent_types, agent: p.agent }) };
      }
      const [info, { agents }] = await Promise.all([bridge.runtime(), bridge.agents()]);
      const details = await Promise.all(agents.slice(0, MAX_AGENT_DETAILS).map((a) => bridge.agent(a.type).catch((err: unknown) => (isOpsError(err, 'AGENT_NOT_FOUND') ? a : Promise.reject(err)))));
      const report = diagnosePerformance({ runtime, info, target: { kind: 'runtime', agents: [...details, ...agents.slice(MAX_AGENT_DETAILS)] }, thresholds: t, now });
      return { report, followUps: guideFollowUps(report, { agentTypes: info.agent_types }) };
    }
    case 'message': {
      const [from, to] = (await resolveAgents(bridge, runtime, [p.from, p.to])) as [string, string];
      const [info, { agents }, recipient, page] = await Promise.all([
        bridge.runtime(), bridge.agents(), bridge.agent(to), bridge.messages({ agent: to, limit: MESSAGE_PAGE }),
      ]);
      const report = diagnoseMessage({ runtime, from, to, messageType: p.message_type ?? null, info, agents, recipient, messages: page.messages, thresholds: t, now });
      const failed = [...page.messages].reverse().find((m) => m.outcome !== 'ok' && m.outcome !== 'pending' && m.sender?.startsWith(`${from}/`) && m.recipient?.startsWith(`${to}/`));
      return { report, followUps: guideFollowUps(report, { agentTypes: info.agent_types, from: p.from, to: p.to, ...(failed ? { failedMessageId: failed.message_id } : {}) }) };
    }
    case 'logs': {
      const agent = p.agent ? (await resolveAgents(bridge, runtime, [p.agent]))[0] : undefined;
      const since = new Date(now.getTime() - p.window_s * 1000);
      const [page, info] = await Promise.all([
        bridge.logs({ since: since.toISOString(), level: p.level, limit: LOG_PAGE, ...(agent ? { agent } : {}) }).catch((err: unknown) => {
          if (bridgeCode(err) === 'LIMIT_OUT_OF_RANGE') throw new OpsError('LOG_WINDOW_TOO_LARGE', { runtime, window_s: p.window_s }, { detail: md`The runtime refused the window.` });
          throw err;
        }),
        bridge.runtime(),
      ]);
      const report = logsReport({ runtime, agent: agent ?? null, since, until: now, level: p.level, records: page.records, truncated: page.truncated === true, info, thresholds: t, now });
      return { report, followUps: guideFollowUps(report, { agentTypes: info.agent_types, ...(p.agent ? { agent: p.agent } : {}) }) };
    }
    case 'trace': {
      const [trace, info] = await Promise.all([
        bridge.trace(p.message_id).catch((err: unknown) => {
          if (bridgeCode(err) === 'MESSAGE_NOT_FOUND') throw new OpsError('MESSAGE_NOT_FOUND', { runtime, message_id: p.message_id }, { detail: md`Runtime ${code(runtime)} has no message ${code(p.message_id)}.` });
          throw err;
        }),
        bridge.runtime(),
      ]);
      const report = traceReport({ runtime, trace, info, thresholds: t, now });
      return { report, followUps: guideFollowUps(report, { agentTypes: info.agent_types, messageId: p.message_id }) };
    }
    case 'inspect': {
      const [agent] = await resolveAgents(bridge, runtime, [p.agent]);
      const [detail, info] = await Promise.all([bridge.agent(agent!), bridge.runtime()]);
      const report = inspectReport({ runtime, agent: detail, info, thresholds: t, now });
      return { report, followUps: guideFollowUps(report, { agentTypes: info.agent_types, agent: p.agent }) };
    }
    case 'snapshot': {
      const snapshot = await bridge.snapshot();
      const packaged = packageSnapshot({ runtime, snapshot, thresholds: t, now, requestedBy: p.user, incidentId: p.incident_id ?? null });
      const store = new SnapshotStore(deps.redis, deps.keyPrefix);
      await store.keep(snapshotScope(p), { filename: packaged.file.filename, runtime, taken_at: snapshot.taken_at }, packaged.file.content);
      return { report: packaged.report, followUps: guideFollowUps(packaged.report, { agentTypes: snapshot.runtime.agent_types }) };
    }
  }
}

/** Every configured runtime's health, in parallel; a runtime that does not answer is shown as such. */
async function glances(deps: WorkerDeps): Promise<RuntimeGlance[]> {
  const now = deps.now();
  return Promise.all(
    Object.keys(deps.config.runtimes.byName).map(async (runtime): Promise<RuntimeGlance> => {
      try {
        const bridge = deps.bridgeFor(runtime);
        const [info, { agents }] = await Promise.all([bridge.runtime(), bridge.agents()]);
        return { runtime, report: evaluateHealth({ runtime, info, agents, thresholds: thresholdsFor(deps.config, runtime), now }) };
      } catch (err) {
        return { runtime, error: isOpsError(err) ? String(err.details.reason ?? err.message) : String(err) };
      }
    }),
  );
}

export function createGuideProcessor(deps: WorkerDeps): Processor<'guide'> {
  return async (p: GuideJob, job: Job) => {
    if (p.tool === 'home') {
      const view = homeView(await glances(deps), deps.config.slack.command, SUBCOMMANDS, deps.now());
      await deps.slack.views.publish({ user_id: p.user, view: view as never });
      return { published: 'home', user: p.user };
    }
    if (p.tool === 'glance') {
      const msg = glanceMessage(await glances(deps), deps.config.slack.command, SUBCOMMANDS, deps.now());
      await deps.outbox.ephemeral({ channel: p.channel, user: p.user, text: msg.text, blocks: msg.blocks, ...(p.thread_ts ? { thread_ts: p.thread_ts } : {}) });
      return { posted: 'glance' };
    }
    const log = deps.logger.child({ job_id: job.id, runtime: p.runtime, tool: p.tool, incident_id: p.incident_id });
    // with a slash command's response_url: answered there when the bot is not in the channel (outbox)
    const where = { channel: p.channel, ...(p.thread_ts ? { thread_ts: p.thread_ts } : {}), ...(p.response_url ? { response_url: p.response_url } : {}) };
    const tellUser = async (err: OpsError): Promise<{ error: string }> => {
      log.info({ code: err.code }, 'guide command answered with an error');
      await deps.outbox.ephemeral({ ...where, user: p.user, text: errorAckText(err) });
      return { error: err.code };
    };
    let built: Built;
    try {
      const bridge = deps.bridgeFor(p.runtime);
      built = await runTool(p, bridge, thresholdsFor(deps.config, p.runtime), deps.now(), deps);
    } catch (err) {
      if (isOpsError(err) && err.transient && !isLastAttempt(job)) throw err; // back-off and try again
      if (!isOpsError(err)) {
        if (!isLastAttempt(job)) throw err;
        log.error({ err }, 'guide analysis failed');
        await tellUser(new OpsError('GUIDE_FAILED', { tool: p.tool, job_id: job.id ?? null }, { detail: md`(job ${escapeText(job.id ?? '?')})` }));
        throw err;
      }
      if (p.tool === 'health' && err.code === 'RUNTIME_UNREACHABLE') {
        // A runtime that is down is the health check's answer: say it in the channel too.
        const report = unreachableReport({ tool: 'health', runtime: p.runtime, subject: `Runtime ${p.runtime}`, now: deps.now(), reason: String(err.details.reason ?? err.message) });
        const msg = guideReportMessage(report);
        await deps.outbox.post({ ...where, text: msg.text, blocks: msg.blocks, priority: 'high' }, `post-${job.id}`);
      }
      return tellUser(err);
    }
    const { report, followUps } = built;
    const msg = guideReportMessage(report, { followUps });
    const tsKey = `guide-${job.id}`;
    const notifyJobId = await deps.outbox.post({ ...where, text: msg.text, blocks: msg.blocks, priority: 'high', ts_key: tsKey }, `post-${job.id}`);
    if (report.attachment) {
      const file = fitFile(report.attachment.content, report.attachment.mimeType);
      await deps.outbox.upload({
        channel: p.channel,
        filename: report.attachment.filename,
        title: fileTitle(report.attachment.title),
        content: file.content,
        ...(p.thread_ts ? { thread_ts: p.thread_ts } : { thread_ts_key: tsKey }),
      });
    }
    log.info({ verdict: report.verdict.status, category: report.classification?.category ?? null, notify_job_id: notifyJobId }, 'guide report posted');
    return { verdict: report.verdict.status, category: report.classification?.category ?? null, ts_key: tsKey, attachment: report.attachment?.filename ?? null };
  };
}
