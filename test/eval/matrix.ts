/**
 * Runs the fault matrix: for each case, start its application, wait until its agents handle traffic, turn
 * the fault on through the bridge's fault hook, wait (bounded) until the fault shows in the bridge's figures
 * and the memory trend can be judged, then ask the bot's real pipeline and score its answers.
 */
import { loadConfig, runtimeTokenVar, type Config } from '../../src/config.js';
import { DEFAULT_THRESHOLDS, thresholdsFor, type Thresholds } from '../../src/diagnosis/thresholds.js';
import { createBridges } from '../../src/runtime/index.js';
import type { BridgeClient } from '../../src/runtime/client.js';
import type { RuntimeInfo } from '../../src/runtime/schemas.js';
import { waitFor } from '../support/poll.js';
import { startApp, type AppProcess } from './app.js';
import { diagnoseAnswer, healthAnswer, perfAnswer, type Answer } from './answers.js';
import { findAgent, type MatrixCase, type Snapshot } from './cases.js';
import { scoreAnswer, unanswered, type CaseResult, type Question, type Scored } from './score.js';

export interface MatrixOptions {
  /** Python with autogen-core, autogen-agentchat/ext and the bridge installed. */
  readonly python: string;
  /** The bot's environment besides the runtime (e.g. `AUTOGEN_THRESHOLDS`); read by `loadConfig` only. */
  readonly botEnv?: Readonly<Record<string, string | undefined>>;
  /** Bound of each wait (traffic up, fault visible), ms. */
  readonly waitTimeoutMs?: number;
  /** Extra `PYTHONPATH` entries for the applications (another checkout's `bridge/src`). */
  readonly pythonPath?: readonly string[];
  /** Cases run at once (default: all). */
  readonly concurrency?: number;
  /** Called as each case ends (progress for the command line). */
  readonly onCase?: (result: CaseResult) => void;
}

/** Messages each listed agent must have handled before the fault goes on. */
const WARM_MESSAGES = 5;
const POLL_MS = 500;
const ASK_ORDER: readonly Question['tool'][] = ['health', 'diagnose', 'perf'];

/**
 * The thresholds each tool judges with, as its handler passes them: `handlers/diagnose.ts` passes none
 * (the guide's defaults); `handlers/guide.ts` passes the runtime's configured ones.
 */
function judgedWith(config: Config, runtime: string): readonly Thresholds[] {
  return [DEFAULT_THRESHOLDS, thresholdsFor(config, runtime)];
}

/** Whether `rss_history` already spans enough after the warm-up for the memory trend to be judged. */
export function trendJudgeable(info: RuntimeInfo, t: Thresholds, now = Date.now()): boolean {
  const started = info.started_at ? Date.parse(info.started_at) : now - (info.uptime_s ?? 0) * 1000;
  const times = (info.rss_history ?? []).map((s) => Date.parse(s.ts)).filter((x) => x >= started + t.leakWarmupS * 1000);
  if (times.length < 3) return false;
  return (Math.max(...times) - Math.min(...times)) / 1000 >= t.leakMinSpanS;
}

async function snapshot(bridge: BridgeClient): Promise<Snapshot> {
  const [info, { agents }] = await Promise.all([bridge.runtime(), bridge.agents()]);
  return { info, agents };
}

async function injectFault(app: AppProcess, fault: string, agent: string): Promise<void> {
  const res = await fetch(`${app.url}/v1/faults`, {
    method: 'POST',
    headers: { authorization: `Bearer ${app.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ fault, agent_type: agent }),
  });
  if (!res.ok) throw new Error(`injecting ${fault} on ${agent}: HTTP ${res.status} ${await res.text()}`);
}

async function ask(q: Question, config: Config, bridge: BridgeClient, snap: Snapshot): Promise<Answer> {
  const now = new Date();
  if (q.tool === 'perf') return perfAnswer(config, bridge, now);
  if (q.tool === 'health') return healthAnswer(config, bridge, now);
  if (!q.agent) throw new Error('diagnose needs an agent');
  // AgentChat participants are registered as `<name>_<team id>`: ask about the type the runtime has.
  const type = findAgent(snap.agents, q.agent)?.type ?? q.agent;
  return diagnoseAnswer(config, bridge, type, now);
}

async function drive(c: MatrixCase, app: AppProcess, opts: MatrixOptions): Promise<Scored[]> {
  const config = loadConfig({ ...opts.botEnv, AUTOGEN_RUNTIMES: `${app.name}=${app.url}`, [runtimeTokenVar(app.name)]: app.token });
  const bridges = createBridges(config);
  const bridge = bridges.bridgeFor(app.name);
  const timeoutMs = opts.waitTimeoutMs ?? 90_000;
  try {
    const warm = await waitFor(async () => {
      const s = await snapshot(bridge);
      const up = c.agents.every((a) => (findAgent(s.agents, a)?.handled_total ?? 0) >= WARM_MESSAGES);
      return up && (!c.fault?.when || c.fault.when(s)) ? s : undefined;
    }, { timeoutMs, intervalMs: POLL_MS, what: `${c.app}: ${c.agents.join(', ')} handling traffic` });
    let atFault = warm;
    if (c.fault) {
      await injectFault(app, c.fault.name, c.fault.agent);
      atFault = await snapshot(bridge);
    }
    const thresholds = judgedWith(config, app.name);
    const ready = await waitFor(async () => {
      const s = await snapshot(bridge);
      return c.until(s, atFault) && thresholds.every((t) => trendJudgeable(s.info, t)) ? s : undefined;
    }, { timeoutMs, intervalMs: POLL_MS, what: `${c.app}: the fault's effect and a judgeable memory trend` });
    // The lightest reads first: a runtime-wide perf reads every agent's detail, which the application's
    // event loop serves between its messages, and health's queue depth must not see that pause.
    const scored = new Map<Question, Scored>();
    for (const q of [...c.questions].sort((a, b) => ASK_ORDER.indexOf(a.tool) - ASK_ORDER.indexOf(b.tool))) {
      try {
        scored.set(q, scoreAnswer(q, await ask(q, config, bridge, ready)));
      } catch (err) {
        scored.set(q, unanswered(q, `the bot threw: ${err instanceof Error ? err.message : String(err)}`));
      }
    }
    return c.questions.map((q) => scored.get(q)!);
  } finally {
    await bridges.close();
  }
}

export async function runCase(c: MatrixCase, opts: MatrixOptions): Promise<CaseResult> {
  let app: AppProcess | undefined;
  let answers: Scored[];
  try {
    app = await startApp({ python: opts.python, app: c.app, name: `eval-${c.id}`, ...(opts.pythonPath ? { pythonPath: opts.pythonPath } : {}) });
    answers = await drive(c, app, opts);
  } catch (err) {
    const lines = (err instanceof Error ? err.message : String(err)).split('\n').filter((l) => l.trim() !== '');
    // The first line says what failed; the last one is the application's own last word, if any.
    const why = lines.length > 1 ? `${lines[0]} … ${lines[lines.length - 1]}` : (lines[0] ?? 'unknown error');
    answers = c.questions.map((q) => unanswered(q, why));
  } finally {
    await app?.stop();
  }
  return { id: c.id, title: c.title, answers, ok: answers.every((a) => a.ok) };
}

/** Apps started at once by default: each runs its own runtime and traffic, and a small machine (2 cores)
 * starts more than this too slowly for their start-up limit. */
export const DEFAULT_LANES = 5;

/** Every case, `concurrency` at a time (default `DEFAULT_LANES`); results in the cases' order. */
export async function runMatrix(cases: readonly MatrixCase[], opts: MatrixOptions): Promise<CaseResult[]> {
  const results: CaseResult[] = new Array<CaseResult>(cases.length);
  let next = 0;
  const lanes = Math.max(1, Math.min(opts.concurrency ?? DEFAULT_LANES, cases.length));
  await Promise.all(Array.from({ length: lanes }, async () => {
    for (let i = next++; i < cases.length; i = next++) {
      const result = await runCase(cases[i]!, opts);
      results[i] = result;
      opts.onCase?.(result);
    }
  }));
  return results;
}
