/**
 * The seed's Agent Diagnostic as one pure function: bridge data in, `Report` out. Also the reports for
 * a runtime that does not answer and for an agent type that is not registered. Like every guide report,
 * the checks become findings that `classify` ranks and `buildFlow` lays out: the primary finding names
 * the framework category, the probable cause and the first next step.
 */
import type { Check, Report } from './report.js';
import { verdictOf } from './report.js';
import { buildFlow, classify, rankFindings, type Finding, type FlowInput } from './classify.js';
import { DEFAULT_THRESHOLDS, type Thresholds } from './thresholds.js';
import { clip, type DiagnosisInput } from './input.js';
import { checkRegistration } from './checks/registration.js';
import { checkDependencies } from './checks/dependencies.js';
import { checkRecentErrors } from './checks/errors.js';
import { checkPerformance } from './checks/performance.js';
import { checkResources } from './checks/resources.js';
import { checkControlState } from './checks/control.js';
import { checkCascade } from './checks/cascade.js';
import { checkAgentChat } from './checks/agentchat.js';
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
  const base = { id: 'runtime', title: 'Runtime', category: 'network', evidence } as const;
  if (!h || h.status !== 'ok') {
    return { ...base, status: 'warn', summary: `The runtime reports status "${h?.status ?? 'unknown'}".` };
  }
  return { ...base, status: 'ok', summary: `Runtime ${input.runtime} is up.` };
}

/**
 * The seed's preference among checks. `classify` ranks by status and the guide's causal layer first;
 * between equals it keeps this order (its sort is stable), so a cascade explains the errors it causes.
 */
const CAUSE_ORDER = ['registration', 'cascade', 'dependencies', 'agentchat', 'errors', 'resources', 'performance', 'control', 'runtime'];

function toFinding(c: Check): Finding {
  return {
    check: `diagnose.${c.id}`,
    status: c.status,
    category: c.category,
    title: c.summary.replace(/\.$/, ''),
    evidence: c.evidence.join('; '),
    fix: c.suggestion ? [c.suggestion] : [],
    ...(c.explains !== undefined ? { explains: c.explains } : {}),
  };
}

function flowInput(input: { agent: string; runtime: string; collected: readonly string[] }): FlowInput {
  return {
    collected: input.collected,
    verifyCommand: `/autogen diagnose ${input.agent} ${input.runtime}`,
    snapshotCommand: `/autogen snapshot ${input.runtime}`,
  };
}

export function diagnoseAgent(input: DiagnosisInput, opts: DiagnoseOptions): Report {
  const t = opts.thresholds ?? DEFAULT_THRESHOLDS;
  const registration = checkRegistration(input);
  const notRegistered = registration.status === 'fail' && (input.detail === undefined || !input.detail.registered);
  const agentChat = notRegistered ? undefined : checkAgentChat(input, t);
  const checks: Check[] = notRegistered
    ? [checkRuntime(input), registration]
    : [
        checkRuntime(input),
        registration,
        checkCascade(input),
        checkDependencies(input),
        checkRecentErrors(input, t, opts.now),
        checkPerformance(input, t),
        checkResources(input, t),
        checkControlState(input),
        ...(agentChat ? [agentChat] : []),
      ];
  const byCause = [...checks].sort((a, b) => CAUSE_ORDER.indexOf(a.id) - CAUSE_ORDER.indexOf(b.id));
  const findings = byCause.map(toFinding);
  const classification = classify(findings);
  const culprit = classification ? byCause[findings.indexOf(classification.primary)] : undefined;
  const steps: string[] = [];
  // A step already said, in full or inside a fuller step, is not said again.
  for (const f of rankFindings(findings)) for (const fix of f.fix) if (!steps.some((s) => saysAlready(s, fix))) steps.push(fix);
  const minutes = Math.round(input.windowS / 60);
  const collected = ['bridge /healthz', 'runtime info', `agent ${input.agent}`, ...(notRegistered ? [] : [`errors and logs (last ${minutes} min)`])];
  const verdict = verdictOf(checks);
  const subject = input.label ? `${input.label} (${input.agent}) on ${input.runtime}` : `${input.agent} on ${input.runtime}`;
  const headline = verdict === 'healthy'
    ? `${subject} is healthy: every check passed.`
    : `${subject} is ${verdict}: ${culprit ? culprit.summary.replace(/\.$/, '') : 'see the checks'}.`;
  return {
    agent: input.agent,
    ...(input.label ? { label: input.label } : {}),
    runtime: input.runtime,
    verdict,
    classification,
    flow: buildFlow(findings, flowInput({ agent: input.label ?? input.agent, runtime: input.runtime, collected })),
    headline,
    checks,
    ...(culprit ? { probable_cause: culprit.summary } : {}),
    next_steps: steps.slice(0, 5),
    follow_ups: diagFollowUps(input.label ?? input.agent, input.runtime, verdict),
    generated_at: opts.now.toISOString(),
  };
}

/** Whether `step` already says `fix`: in full, or the same first sentence, parentheses aside ("Check X.
 * Until then …" after "Check X (because …)." is not said twice; the step said first keeps its extra). */
function saysAlready(step: string, fix: string): boolean {
  if (step.includes(fix)) return true;
  // the first sentence, without its parentheses (an example, or why the fix reads as it does)
  const lead = (text: string) => text.replace(/ ?\([^()]*\)/g, '').split(/\.\s/, 1)[0]!.trim().replace(/\.$/, '');
  return lead(fix).length > 20 && lead(step) === lead(fix);
}

/** The report when the runtime bridge does not answer (down, refused, slow). */
export function unreachableReport(agent: string, runtime: string, url: string, reason: string, now: Date): Report {
  const check: Check = {
    id: 'runtime',
    title: 'Runtime',
    status: 'fail',
    category: 'network',
    summary: `No answer from the runtime bridge at ${url}.`,
    evidence: [`Reason: ${clip(reason, 200)}`],
    suggestion: 'Check that the AutoGen process is running and its bridge listens at that URL.',
  };
  const findings = [toFinding(check)];
  return {
    agent,
    runtime,
    verdict: 'unreachable',
    classification: classify(findings),
    flow: buildFlow(findings, flowInput({ agent, runtime, collected: ['bridge /healthz'] })),
    headline: `Runtime ${runtime} is unreachable: its bridge did not answer (${clip(reason, 120)}), so ${agent} could not be diagnosed.`,
    checks: [check],
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
