/**
 * `respond` jobs: propose a recovery plan (match runbooks, dry-run, post with Approve / Reject), expire an
 * unapproved plan's buttons, close a plan whose own post Slack refused (`unshared`), switch automation on/off (`/autogen automation`), answer `/autogen audit`.
 * Thin: the flows live in `src/response` and `src/audit`.
 */
import type { Job } from 'bullmq';
import { isOpsError } from '../src/errors.js';
import { exportAuditJson, readAudit } from '../src/audit/stream.js';
import { auditText } from '../src/slack/blocks/audit.js';
import { responseDepsOf } from '../src/response/context.js';
import { describeAutomation, switchAutomation } from '../src/response/automation.js';
import { expirePlan, proposePlan } from '../src/response/propose.js';
import { closePlansOfIncident, closeUnsharedPlan } from '../src/response/plan-closing.js';
import { planNeedsChannel } from '../src/slack/bot-membership.js';
import { UserId } from '../src/identifiers.js';
import type { Processor } from '../src/queues/worker.js';
import type { WorkerDeps } from './index.js';
import { fileTitle } from '../src/outbox/index.js';
import { code, md } from '../src/slack/blocks/mrkdwn.js';
import { errorAckText } from '../src/slack/blocks/error-ack.js';

export function createRespondProcessor(deps: WorkerDeps): Processor<'respond'> {
  const rd = responseDepsOf(deps);
  return async (p, job: Job) => {
    switch (p.kind) {
      case 'expire':
        return { expired: await expirePlan(rd, p.plan_id) };
      case 'close':
        return { closed: await closePlansOfIncident(rd, p.incident_id) };
      case 'unshared': {
        // Slack refused the plan's own post: closed, and the person who asked told why and where to ask instead
        const rec = await closeUnsharedPlan(rd, p.plan_id, p.slack_error);
        if (!rec) return { closed: false };
        const user = UserId.safeParse(rec.plan.requestedBy);
        if (p.response_url && user.success) {
          const err = planNeedsChannel({ channel: rec.plan.channel, alertChannel: deps.config.alerts.channel, closed: { planId: rec.plan.id, slackError: p.slack_error } });
          await rd.outbox.ephemeral({ channel: rec.plan.channel, user: user.data, response_url: p.response_url, text: errorAckText(err) });
        } else {
          deps.logger.warn({ plan_id: rec.plan.id, channel: rec.plan.channel, code: 'PLAN_NEEDS_CHANNEL' }, 'a plan the bot could not post was closed; no response_url to tell the requester; invite the bot (/invite @autogen-ops)');
        }
        return { closed: true };
      }
      case 'automation': {
        // a slash command's answer reaches the person who asked even where the bot cannot post (the outbox)
        const reply = p.response_url ? { response_url: p.response_url } : {};
        if (p.mode === 'status') {
          await rd.outbox.ephemeral({ channel: p.channel, user: p.user, ...reply, text: await describeAutomation(rd, Object.keys(deps.config.runtimes.byName)) });
          return { status: 'told' };
        }
        return { switched: await switchAutomation(rd, p.mode === 'on', p.user, p.channel, p.response_url) };
      }
      case 'audit': {
        const reply = p.response_url ? { response_url: p.response_url } : {};
        const entries = await readAudit(rd.redis, rd.prefix, { subject: p.subject, limit: p.json ? 5_000 : 200 });
        if (p.json) {
          await rd.outbox.upload({ channel: p.channel, ...reply, filename: `audit-${p.subject ?? 'all'}.json`, title: fileTitle(`Audit log ${p.subject ?? '(all)'}`), content: exportAuditJson(p.subject ?? null, entries, rd.now()) });
        } else {
          await rd.outbox.ephemeral({ channel: p.channel, user: p.user, ...reply, text: auditText(p.subject ?? null, entries) });
        }
        return { entries: entries.length };
      }
      default: {
        try {
          const out = await proposePlan(rd, p);
          return { outcome: out.kind, ...('plan' in out ? { plan_id: out.plan.id } : {}) };
        } catch (err) {
          const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
          if (!isOpsError(err) || (err.transient && !last)) throw err;
          // Permanent (unknown runbook, bridge refused) or out of retries: say so where the plan was asked for.
          const where = { channel: p.channel, ...(p.thread_ts ? { thread_ts: p.thread_ts } : p.thread_ts_key ? { thread_ts_key: p.thread_ts_key } : {}) };
          const text = errorAckText(err, { lead: md`No recovery plan for runtime ${code(p.runtime)}: `, oneLine: true });
          if (p.user && !p.thread_ts_key) await rd.outbox.ephemeral({ channel: p.channel, user: p.user, text, ...(p.thread_ts ? { thread_ts: p.thread_ts } : {}), ...(p.response_url ? { response_url: p.response_url } : {}) });
          else await rd.outbox.post({ ...where, text }, `noplan-${job.id}`);
          return { outcome: 'error', code: err.code };
        }
      }
    }
  };
}
