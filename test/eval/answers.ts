/**
 * The bot's answers to `diagnose`, `perf` and `health`, produced by its real pipeline against a live bridge:
 * the same readers and pure analyses, called the way `handlers/diagnose.ts` and `handlers/guide.ts` call
 * them (only the Slack rendering and the queue are left out). Keep in step with those handlers.
 */
import type { Config } from '../../src/config.js';
import { isOpsError } from '../../src/errors.js';
import type { Category } from '../../src/diagnosis/classify.js';
import { diagnoseAgent } from '../../src/diagnosis/diagnose.js';
import type { GuideReport } from '../../src/diagnosis/guide-report.js';
import { evaluateHealth } from '../../src/diagnosis/health.js';
import { diagnosePerformance } from '../../src/diagnosis/performance.js';
import type { Report } from '../../src/diagnosis/report.js';
import { thresholdsFor } from '../../src/diagnosis/thresholds.js';
import { readAgentData } from '../../src/runtime/agent-data.js';
import type { BridgeClient } from '../../src/runtime/client.js';

export type Tool = 'diagnose' | 'perf' | 'health';
/** One vocabulary for both report kinds: a guide report's `warning` is a diagnosis's `degraded`. */
export type Verdict = 'healthy' | 'degraded' | 'failing' | 'unreachable';

/** What the scorer reads from one answer. */
export interface Answer {
  readonly tool: Tool;
  readonly verdict: Verdict;
  readonly category: Category | null;
  /** The headline and the probable cause: where the origin must be named. */
  readonly cause: string;
  /** The fix of the primary finding (the guide flow's fix step). */
  readonly fix: string;
  /** What the answer states: headline, probable cause and each check's summary (finding's title), passed or not. */
  readonly text: string;
}

/** Agent details read for a runtime-wide perf, as `handlers/guide.ts`. */
const MAX_AGENT_DETAILS = 50;

function fromReport(r: Report): Answer {
  return {
    tool: 'diagnose',
    verdict: r.verdict,
    category: r.classification?.category ?? null,
    cause: [r.headline, r.probable_cause ?? ''].join(' '),
    fix: r.flow.fix.join(' '),
    text: [r.headline, r.probable_cause ?? '', ...r.checks.map((c) => c.summary)].join('\n'),
  };
}

function fromGuide(tool: Tool, r: GuideReport): Answer {
  const v = r.verdict.status;
  return {
    tool,
    verdict: v === 'warning' ? 'degraded' : v,
    category: r.classification?.category ?? null,
    cause: [r.verdict.headline, r.flow.rootCause ?? ''].join(' '),
    fix: r.flow.fix.join(' '),
    text: [r.verdict.headline, r.flow.rootCause ?? '', ...r.findings.map((f) => f.title)].join('\n'),
  };
}

/** `/autogen diagnose <agent> <runtime>` (handlers/diagnose.ts). */
export async function diagnoseAnswer(config: Config, bridge: BridgeClient, agent: string, now: Date): Promise<Answer> {
  const input = await readAgentData(bridge, agent, config.diagnose.logWindowS);
  return fromReport(diagnoseAgent(input, { now }));
}

/** `/autogen perf <runtime>`, the whole runtime (handlers/guide.ts). */
export async function perfAnswer(config: Config, bridge: BridgeClient, now: Date): Promise<Answer> {
  const runtime = bridge.name;
  const [info, { agents }] = await Promise.all([bridge.runtime(), bridge.agents()]);
  const details = await Promise.all(agents.slice(0, MAX_AGENT_DETAILS).map((a) => bridge.agent(a.type).catch((err: unknown) => (isOpsError(err, 'AGENT_NOT_FOUND') ? a : Promise.reject(err)))));
  const report = diagnosePerformance({ runtime, info, target: { kind: 'runtime', agents: [...details, ...agents.slice(MAX_AGENT_DETAILS)] }, thresholds: thresholdsFor(config, runtime), now });
  return fromGuide('perf', report);
}

/** `/autogen health <runtime>` (handlers/guide.ts). */
export async function healthAnswer(config: Config, bridge: BridgeClient, now: Date): Promise<Answer> {
  const runtime = bridge.name;
  const [info, { agents }] = await Promise.all([bridge.runtime(), bridge.agents()]);
  return fromGuide('health', evaluateHealth({ runtime, info, agents, thresholds: thresholdsFor(config, runtime), now }));
}
