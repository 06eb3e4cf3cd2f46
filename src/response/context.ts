/**
 * What the response flows (propose, carry out, conclude) need, built once per worker from `WorkerDeps`.
 * Runbooks are loaded and validated here, at start-up: a bad runbook stops the worker with
 * `RUNBOOK_INVALID` listing every problem.
 */
import type { RedisClient } from '../redis/connect.js';
import type { Config } from '../config.js';
import { OpsError } from '../errors.js';
import { rich } from '../view/rich-text.js';
import type { IncidentPresenter } from '../incidents/presenter.js';
import type { PlanPresenter } from './presenter.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../outbox/index.js';
import type { Queues } from '../queues/queues.js';
import type { BridgeClient } from '../runtime/client.js';
import { appendAudit, type AuditInput } from '../audit/stream.js';
import { thresholdsFor } from '../diagnosis/thresholds.js';
import { incidentContext } from '../incidents/context.js';
import { isActive } from '../incidents/state.js';
import { requestFlush } from '../incidents/thread.js';
import { GroupDirectory, slackUserGroupLookup, type WebApiCaller } from '../approvals/groups.js';
import { formatProblem, loadRunbookDir } from './runbook-loader.js';
import { findingThresholdsOf, type FindingThresholds } from './findings.js';
import type { Runbook } from './runbook-schema.js';
import type { RunPorts } from './run.js';
import type { ResponseConfig } from './settings.js';

export interface ResponseDeps {
  readonly redis: RedisClient;
  /** Our Redis key prefix (hash-tagged, trailing ':'). */
  readonly prefix: string;
  readonly settings: ResponseConfig;
  readonly runbooks: readonly Runbook[];
  /** Members of the user groups runbooks name: configured and Slack's, cached (`src/approvals/groups.ts`). */
  readonly approverGroups: Pick<GroupDirectory, 'membersOf'>;
  readonly outbox: Outbox;
  /** How plans and outcomes are shown (wired by the role: src/slack/presenters). */
  readonly presenter: PlanPresenter;
  readonly queues: Queues;
  readonly logger: Logger;
  bridgeFor(runtime: string): BridgeClient;
  now(): Date;
  audit(event: AuditInput): Promise<void>;
  /** Moves the plan's incident to "mitigating" (by the approver) and refreshes its thread root. Never throws. */
  markMitigating(incidentId: string, by: string): Promise<void>;
  /**
   * Moves an incident a plan acts for: `mitigate` (a plan runs), `unmitigate` (back to open: not effective,
   * or the symptom came back after the release), `resolve` (the symptom is gone). `note` is shown in its
   * thread. Never throws (the plan's own flow must not fail on an incident's thread).
   */
  moveIncident(incidentId: string, event: 'mitigate' | 'unmitigate' | 'resolve', by: string, note: string): Promise<void>;
  /** Active incidents of `runtime` that name one of `agents` (so a plan asked for by command joins them). */
  incidentsAbout(runtime: string, agents: readonly string[]): Promise<string[]>;
  /** The guide's error-rate threshold for `runtime` (configured thresholds): above it an agent is failing. */
  errorRateFor(runtime: string): number;
  /**
   * The thresholds runbook matching reads findings with for `runtime`: the configured ones
   * (`AUTOGEN_THRESHOLDS`, `AUTOGEN_RUNTIME_<NAME>_THRESHOLDS`), the same the reports judge with.
   */
  findingThresholdsFor(runtime: string): FindingThresholds;
  /** Test hook: runs after the bridge answered an action, before its outcome is stored (see `RunPorts`). */
  readonly afterBridgeCall?: RunPorts['afterBridgeCall'];
}

/** Loads and validates the runbooks; throws `RUNBOOK_INVALID` with every problem. */
export function loadRunbooksOrThrow(dir: string): Runbook[] {
  const loaded = loadRunbookDir(dir);
  if (loaded.problems.length > 0) {
    const problems = loaded.problems.map(formatProblem);
    throw new OpsError('RUNBOOK_INVALID', { problems }, { detail: rich`Problems:\n- ${problems.join('\n- ')}` });
  }
  return [...loaded.runbooks];
}

export interface ResponseDepsInput {
  readonly config: Config;
  readonly redis: RedisClient;
  readonly keyPrefix: string;
  readonly outbox: Outbox;
  /** How incidents, plans and outcomes are shown (the role wires the Slack presenters, src/slack/presenters). */
  readonly presenters: { readonly incidents: IncidentPresenter; readonly plans: PlanPresenter };
  readonly queues: Queues;
  readonly logger: Logger;
  bridgeFor(runtime: string): BridgeClient;
  now(): Date;
  /** The Web API client (user group look-ups); without it only configured group members count. */
  readonly slack?: WebApiCaller;
}

export function createResponseDeps(input: ResponseDepsInput, opts: { runbooks?: readonly Runbook[]; afterBridgeCall?: RunPorts['afterBridgeCall'] } = {}): ResponseDeps {
  const settings = input.config.response;
  const runbooks = opts.runbooks ?? loadRunbooksOrThrow(settings.runbooksDir);
  const logger = input.logger.child({ feature: 'response' });
  const incidents = incidentContext(input);
  const moveIncident: ResponseDeps['moveIncident'] = async (incidentId, event, by, note) => {
    try {
      const r = await incidents.store.transition(incidentId, event, by, input.now().getTime(), note);
      if (r.outcome === 'changed') await requestFlush(incidents, incidentId, true);
    } catch (err) {
      logger.warn({ err, incident_id: incidentId, event }, 'could not move the incident');
    }
  };
  return {
    redis: input.redis,
    prefix: input.keyPrefix,
    settings,
    runbooks,
    approverGroups: new GroupDirectory({
      configured: settings.groups,
      lookup: settings.groupsFromSlack && input.slack ? slackUserGroupLookup(input.slack) : undefined,
      ttlMs: settings.groupsTtlMs,
      logger: logger.child({ component: 'approver-groups' }),
      now: () => input.now().getTime(),
    }),
    outbox: input.outbox,
    presenter: input.presenters.plans,
    queues: input.queues,
    logger,
    bridgeFor: input.bridgeFor,
    now: input.now,
    async audit(event) {
      try {
        await appendAudit(input.redis, input.keyPrefix, event, settings.audit);
      } catch (err) {
        // An audit write that fails is retried by failing the job (the record must be complete).
        logger.error({ err, type: event.type }, 'audit append failed');
        throw err;
      }
    },
    markMitigating: (incidentId, by) => moveIncident(incidentId, 'mitigate', by, ''),
    moveIncident,
    async incidentsAbout(runtime, agents) {
      if (agents.length === 0) return [];
      const wanted = new Set(agents);
      try {
        const active = await incidents.store.listActive(100);
        return active.filter((i) => isActive(i.state) && (i.runtime ?? input.config.runtimes.defaultName) === runtime
          && [i.agent, ...i.agents].some((a) => a !== null && wanted.has(a))).map((i) => i.id);
      } catch (err) {
        logger.warn({ err, runtime }, 'could not read the active incidents');
        return [];
      }
    },
    errorRateFor(runtime) {
      return thresholdsFor(input.config, runtime).errorRate;
    },
    findingThresholdsFor(runtime) {
      return findingThresholdsOf(thresholdsFor(input.config, runtime));
    },
    afterBridgeCall: opts.afterBridgeCall,
  };
}

const shared = new WeakMap<object, ResponseDeps>();

/** One `ResponseDeps` per worker (the respond, execute and verify processors share it). */
export function responseDepsOf(input: ResponseDepsInput, opts: { afterBridgeCall?: RunPorts['afterBridgeCall'] } = {}): ResponseDeps {
  if (opts.afterBridgeCall) return createResponseDeps(input, opts);
  let d = shared.get(input);
  if (!d) {
    d = createResponseDeps(input);
    shared.set(input, d);
  }
  return d;
}
