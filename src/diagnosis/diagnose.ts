/**
 * The seed's Agent Diagnostic as one pure function: bridge data in, `Report` out. Also the reports for
 * a runtime that does not answer and for an agent type that is not registered.
 */
import type { Category, Check, Report } from './report.js';
import { verdictOf } from './report.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from './thresholds.js';
import { clip, type DiagnosisInput } from './input.js';
import { checkRegistration } from './checks/registration.js';
import { checkDependencies } from './checks/dependencies.js';
import { checkRecentErrors } from './checks/errors.js';
import { checkPerformance } from './checks/performance.js';
import { checkResources } from './checks/resources.js';
import { checkControlState } from './checks/control.js';
import { checkCascade } from './checks/cascade.js';
import { diagFollowUps } from './follow-ups.js';

export interface DiagnoseOptions {
  now: Date;
  thresholds?: Thresholds;
}

function checkRuntime(input: DiagnosisInput): Check {
  const h = input.health;
  const info = input.info;
  const evidence = [
    ...(info ? [`autogen-core ${info.autogen_core_version ?? '?'}, up ${Math.round(info.uptime_s ?? h?.uptime_s ?? 0)} s, queue depth ${info.queue_depth ?? 0}, in-flight ${info.inflight ?? 0}`] : []),
  ];
  if (!h || h.status !== 'ok') {
    return { id: 'runtime', title: 'Runtime', status: 'warn', summary: `The runtime reports status "${h?.status ?? 'unknown'}".`, evidence };
  }
  return { id: 'runtime', title: 'Runtime', status: 'ok', summary: `Runtime ${input.runtime} is up.`, evidence };
}

/** Which failing/warning check explains the problem best, in this order. */
const CAUSE_ORDER = ['registration', 'cascade', 'dependencies', 'errors', 'resources', 'performance', 'control', 'runtime'];

const CATEGORY_BY_CHECK: Record<string, Category> = {
  registration: 'agent_creation_failure',
  cascade: 'cascade',
  dependencies: 'dependency',
  errors: 'message_handling',
  resources: 'resources',
  performance: 'performance',
  control: 'control_state',
  runtime: 'runtime_unreachable',
};

export function diagnoseAgent(input: DiagnosisInput, opts: DiagnoseOptions): Report {
  const t = opts.thresholds ?? DEFAULT_THRESHOLDS;
  const registration = checkRegistration(input);
  const notRegistered = registration.status === 'fail' && (input.detail === undefined || !input.detail.registered);
  const deps = checkDependencies(input);
  const checks: Check[] = notRegistered
    ? [checkRuntime(input), registration]
    : [
        checkRuntime(input),
        registration,
        checkCascade(input),
        deps.check,
        checkRecentErrors(input, t, opts.now),
        checkPerformance(input, t),
        checkResources(input, t),
        checkControlState(input),
      ];
  const verdict = verdictOf(checks);
  const culprit = CAUSE_ORDER.map((id) => checks.find((c) => c.id === id && c.status === 'fail')).find(Boolean)
    ?? CAUSE_ORDER.map((id) => checks.find((c) => c.id === id && c.status === 'warn')).find(Boolean);
  const category: Category = notRegistered
    ? 'not_registered'
    : !culprit ? 'healthy'
      : culprit.id === 'dependencies' && deps.category ? deps.category
        : CATEGORY_BY_CHECK[culprit.id] ?? 'message_handling';
  const steps: string[] = [];
  for (const status of ['fail', 'warn'] as const) {
    for (const c of checks) if (c.status === status && c.suggestion && !steps.includes(c.suggestion)) steps.push(c.suggestion);
  }
  const subject = `${input.agent} on ${input.runtime}`;
  const headline = verdict === 'healthy'
    ? `${subject} is healthy: every check passed.`
    : `${subject} is ${verdict}: ${culprit ? culprit.summary.replace(/\.$/, '') : 'see the checks'}.`;
  return {
    agent: input.agent,
    runtime: input.runtime,
    verdict,
    category,
    headline,
    checks,
    ...(culprit ? { probable_cause: culprit.summary } : {}),
    next_steps: steps.slice(0, 5),
    follow_ups: diagFollowUps(input.agent, input.runtime, verdict),
    generated_at: opts.now.toISOString(),
  };
}

/** The report when the runtime bridge does not answer (down, refused, slow). */
export function unreachableReport(agent: string, runtime: string, url: string, reason: string, now: Date): Report {
  return {
    agent,
    runtime,
    verdict: 'unreachable',
    category: 'runtime_unreachable',
    headline: `Runtime ${runtime} is unreachable: its bridge did not answer (${clip(reason, 120)}), so ${agent} could not be diagnosed.`,
    checks: [{
      id: 'runtime',
      title: 'Runtime',
      status: 'fail',
      summary: `No answer from the runtime bridge at ${url}.`,
      evidence: [`Reason: ${clip(reason, 200)}`],
      suggestion: 'Check that the AutoGen process is running and its bridge listens at that URL.',
    }],
    probable_cause: `The AutoGen runtime "${runtime}" (or its bridge) is down, unreachable from the worker, or too slow to answer.`,
    next_steps: [
      'Check that the AutoGen process is running and its bridge listens at that URL.',
      'Check the network path from the worker to the bridge (firewall, DNS, port).',
      'If it is only slow, look at the runtime host\'s CPU and memory; raise BRIDGE_TIMEOUT_MS if needed.',
    ],
    follow_ups: diagFollowUps(agent, runtime, 'unreachable'),
    generated_at: now.toISOString(),
  };
}
