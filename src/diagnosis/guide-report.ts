/**
 * What every guide tool (health, perf, message, logs, trace, inspect, snapshot) returns: a verdict, the
 * classification, the checks with evidence, the guide's flow, tool-specific sections and, when the full
 * content is too long for a message, an attachment. Pure data; Block Kit rendering lives in
 * `src/slack/blocks/`.
 */
import { buildFlow, classify, type Classification, type Finding, type FlowInput, type GuideFlow, type Status } from './classify.js';

export const GUIDE_TOOLS = ['health', 'perf', 'message', 'logs', 'trace', 'inspect', 'snapshot'] as const;
export type GuideTool = (typeof GUIDE_TOOLS)[number];

/** `healthy` when every check passed, else the worst status; `unreachable` when the runtime did not answer. */
export type VerdictStatus = 'healthy' | 'warning' | 'failing' | 'unreachable';

export interface Verdict {
  readonly status: VerdictStatus;
  /** One sentence: "ChatAgent is slow: average response 3.1 s (threshold 2 s)". */
  readonly headline: string;
}

/** A titled block of plain-text lines (not mrkdwn: the renderer escapes it). */
export interface ReportSection {
  readonly title: string;
  readonly lines: readonly string[];
}

/** Full content that belongs in a file next to the message. */
export interface ReportAttachment {
  readonly filename: string;
  readonly title: string;
  /** `application/json` or `text/plain` / `text/markdown`. */
  readonly mimeType: string;
  readonly content: string;
}

export interface GuideReport {
  readonly tool: GuideTool;
  readonly runtime: string;
  /** What the report is about: "ChatAgent", "ChatAgent → ToolAgent", "runtime demo", "message m-1". */
  readonly subject: string;
  /** ISO time the analysis ran (the `now` passed in). */
  readonly generatedAt: string;
  readonly verdict: Verdict;
  readonly classification: Classification | null;
  readonly findings: readonly Finding[];
  readonly flow: GuideFlow;
  readonly sections: readonly ReportSection[];
  readonly attachment?: ReportAttachment;
}

export function verdictStatus(findings: readonly Finding[]): VerdictStatus {
  let worst: Status = 'ok';
  for (const f of findings) {
    if (f.status === 'fail') return 'failing';
    if (f.status === 'warn') worst = 'warn';
  }
  return worst === 'warn' ? 'warning' : 'healthy';
}

/** "Runtime demo: Dependency vector-db unreachable — connection refused" (no subject twice). */
export function problemHeadline(subject: string, primary: Finding): string {
  const evidence = primary.evidence.length > 300 ? `${primary.evidence.slice(0, 299)}…` : primary.evidence;
  const prefix = primary.title.includes(subject) ? '' : `${subject}: `;
  return `${prefix}${primary.title} — ${evidence}`;
}

export interface AssembleInput extends FlowInput {
  readonly tool: GuideTool;
  readonly runtime: string;
  readonly subject: string;
  readonly now: Date;
  readonly findings: readonly Finding[];
  readonly sections?: readonly ReportSection[];
  readonly attachment?: ReportAttachment;
  /** Headline when every check passed. */
  readonly healthyHeadline: string;
}

/** Classifies, lays out the flow and phrases the verdict: the common tail of every guide tool. */
export function assembleReport(input: AssembleInput): GuideReport {
  const classification = classify(input.findings);
  const status = verdictStatus(input.findings);
  const headline = classification ? problemHeadline(input.subject, classification.primary) : input.healthyHeadline;
  const report: GuideReport = {
    tool: input.tool,
    runtime: input.runtime,
    subject: input.subject,
    generatedAt: input.now.toISOString(),
    verdict: { status, headline },
    classification,
    findings: input.findings,
    flow: buildFlow(input.findings, input),
    sections: input.sections ?? [],
    ...(input.attachment ? { attachment: input.attachment } : {}),
  };
  return report;
}

/** The report for a runtime that does not answer: infrastructure › network, never silence. */
export function unreachableReport(input: {
  tool: GuideTool;
  runtime: string;
  subject: string;
  now: Date;
  reason: string;
}): GuideReport {
  const finding: Finding = {
    check: 'runtime.reachable',
    status: 'fail',
    category: 'network',
    title: `Runtime ${input.runtime} reachable`,
    evidence: input.reason,
    fix: [
      `Check that the AutoGen process of runtime ${input.runtime} is running and its bridge is attached`,
      'Check the network path and the bridge URL/token in the bot\'s configuration',
    ],
    subject: input.runtime,
  };
  const base = assembleReport({
    tool: input.tool,
    runtime: input.runtime,
    subject: input.subject,
    now: input.now,
    findings: [finding],
    collected: ['bridge /healthz'],
    verifyCommand: `/autogen health ${input.runtime}`,
    snapshotCommand: `/autogen snapshot ${input.runtime}`,
    healthyHeadline: '',
  });
  return { ...base, verdict: { status: 'unreachable', headline: `Runtime ${input.runtime} is unreachable: ${input.reason}` } };
}
