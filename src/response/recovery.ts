/**
 * Whether a plan fixed the incident, not only whether its actions took effect. The runbook's checks say
 * whether the action did what it should (isolated, backpressured, …); this reads the symptom: the recent
 * figures of the agents acted on, of the incident's agents and of the callers of the agents acted on.
 *
 *   action checks  any of them still failing   an agent acted on / of the incident held   verdict
 *   failed         —                           —                                          not_effective
 *   passed         yes                         —                                          mitigated (after a release: unresolved)
 *   passed         no                          yes (isolated or degraded)                 mitigated
 *   passed         no                          no                                         resolved
 *
 * A held agent handles nothing, so it shows no errors: its silence is not health, and it is never judged
 * by its figures. "Failing" is the guide's error rate exceeded over the window read. Pure.
 */
import { typeOfRef } from '../runtime/resolve-agent.js';
import { findAgent, type AgentView, type RuntimeView } from './runtime-view.js';

export type Verdict = 'resolved' | 'mitigated' | 'not_effective' | 'unresolved';

/** When the figures were read: after the plan's actions, or after its temporary actions were released. */
export type RecoveryStage = 'after_action' | 'after_release';

/** Which figures a window comes from. */
export type WindowSource = 'since_reference' | 'recent' | 'stats';

export interface WindowFigures {
  readonly source: WindowSource;
  /** Seconds the figures cover (null when the bridge does not say). */
  readonly seconds: number | null;
  readonly handled: number;
  readonly errors: number;
  /** Deliveries refused (isolation, degrade, backpressure); null when this bridge does not count them. */
  readonly refused: number | null;
}

export type SymptomRole = 'acted on' | 'incident' | 'caller';

export interface SymptomReading {
  readonly agent: string;
  readonly roles: readonly SymptomRole[];
  /** Held agents are not judged by their figures: they handle nothing. */
  readonly held: 'isolated' | 'degraded' | null;
  /** null when the agent is not in the runtime. */
  readonly window: WindowFigures | null;
  readonly failing: boolean;
  /** One line, e.g. "ChatAgent (caller): 40 of 40 messages failed in the 12 s since the action (100.0 %, over 5.0 %)". */
  readonly evidence: string;
}

export interface RecoveryJudgement {
  readonly verdict: Verdict;
  readonly stage: RecoveryStage;
  /** One sentence: why this verdict. */
  readonly summary: string;
  /** False when no agent judged by its figures handled anything: nothing confirms a recovery yet. */
  readonly confirmed: boolean;
  readonly symptoms: readonly SymptomReading[];
  /** ISO time of the reading. */
  readonly at: string;
  /** Set by the flow on its last look: no further look follows this verdict. */
  readonly settled?: boolean;
}

export interface RecoveryInput {
  readonly stage: RecoveryStage;
  /** Every check of the runbook passed: the action took effect. */
  readonly actionsEffective: boolean;
  /** Agent types the plan acted on (isolated, backpressured, restarted, shed). */
  readonly actedOn: readonly string[];
  /** Agent types the incident (or the `/autogen recover` request) names. */
  readonly incidentAgents: readonly string[];
  /** The reading taken at the reference time (right after the actions, or right after the release). */
  readonly reference: RuntimeView | null;
  readonly current: RuntimeView;
  /** Seconds since the reference reading. */
  readonly elapsedS: number;
  /** The guide's error-rate threshold (0..1): above it an agent is failing. */
  readonly errorRate: number;
  readonly now: Date;
}

function n(v: number | null | undefined): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** Isolated or degraded (shed), by the agent's own flags or the runtime's lists. */
export function heldState(view: RuntimeView, a: AgentView): 'isolated' | 'degraded' | null {
  if (a.isolated === true || (view.runtime.isolated ?? []).includes(a.type)) return 'isolated';
  if (a.degraded === true || (view.runtime.degraded?.active === true && (view.runtime.degraded.agent_types ?? []).includes(a.type))) return 'degraded';
  return null;
}

/**
 * The window an agent is judged over. Shortly after the reference reading, the bridge's counters since
 * that reading (a recent window would still hold the minutes before it); once the recent window lies
 * wholly after the reference, the recent window (current health, not an average since the action);
 * the long stats window only from a bridge that has neither.
 */
export function windowOf(a: AgentView, before: AgentView | undefined, elapsedS: number): WindowFigures {
  const recent = a.recent ?? null;
  const handledNow = n(a.handled_total);
  const handledBefore = n(before?.handled_total);
  if (handledNow !== null && handledBefore !== null && (recent === null || elapsedS < recent.window_s)) {
    // Messages in flight at the reference reading finish after it, failed or not: evidence of neither.
    const inflight = n(before?.inflight) ?? 0;
    const errors = Math.max(0, (n(a.errors_total) ?? 0) - (n(before?.errors_total) ?? 0) - inflight);
    const handled = Math.max(0, handledNow - handledBefore - inflight);
    const refusedNow = n(a.refused_total);
    const refusedBefore = n(before?.refused_total);
    return {
      source: 'since_reference', seconds: Math.max(0, Math.round(elapsedS)), handled, errors: Math.min(errors, handled),
      refused: refusedNow !== null && refusedBefore !== null ? Math.max(0, refusedNow - refusedBefore) : null,
    };
  }
  if (recent !== null) {
    return { source: 'recent', seconds: recent.window_s, handled: recent.count, errors: recent.errors, refused: n(recent.refused) };
  }
  const count = n(a.latency_ms?.count) ?? 0;
  return { source: 'stats', seconds: null, handled: count, errors: Math.round((n(a.error_rate) ?? 0) * count), refused: null };
}

const pct = (r: number): string => `${(r * 100).toFixed(1)} %`;

function span(w: WindowFigures, stage: RecoveryStage): string {
  if (w.source === 'since_reference') return `in the ${w.seconds ?? 0} s since the ${stage === 'after_release' ? 'release' : 'action'}`;
  if (w.source === 'recent') return `in the last ${w.seconds ?? 0} s`;
  return 'in the bridge\'s statistics window';
}

/** Refusals as the bridge counted them: always for an agent acted on or held, else only when there were some. */
function refusedText(w: WindowFigures, always: boolean): string {
  if (w.refused === null || (!always && w.refused === 0)) return '';
  return `, ${w.refused} refused`;
}

function describe(agent: string, roles: readonly SymptomRole[], held: SymptomReading['held'], w: WindowFigures, failing: boolean, t: number, stage: RecoveryStage): string {
  const who = `${agent} (${roles.join(', ')})`;
  const always = held !== null || roles.includes('acted on');
  if (held) {
    return `${who}: ${held} — ${w.handled} handled${refusedText(w, true)} ${span(w, stage)}; silent because ${held}, not healthy`;
  }
  if (w.handled === 0) return `${who}: no message handled ${span(w, stage)}${refusedText(w, always)}`;
  const rate = w.errors / w.handled;
  return `${who}: ${w.errors} of ${w.handled} failed ${span(w, stage)} (${pct(rate)}${failing ? `, over ${pct(t)} — still failing` : `, at most ${pct(t)}`})${refusedText(w, always)}`;
}

/** The agents whose figures decide: acted on, the incident's, and the callers of those acted on. */
export function symptomAgents(actedOn: readonly string[], incidentAgents: readonly string[], current: RuntimeView): { agent: string; roles: SymptomRole[] }[] {
  const out = new Map<string, SymptomRole[]>();
  const add = (agent: string, role: SymptomRole): void => {
    const roles = out.get(agent) ?? [];
    if (!roles.includes(role)) roles.push(role);
    out.set(agent, roles);
  };
  for (const a of actedOn) add(a, 'acted on');
  for (const a of incidentAgents) add(typeOfRef(a, current.agents, current.runtime.name), 'incident');
  for (const target of actedOn) {
    // Callers from the bridge's message graph; else the senders of the deliveries read for the target.
    const fromGraph = findAgent(current, target)?.callers?.map((c) => c.agent_type) ?? [];
    const fromLog = (current.messages?.[target] ?? []).map((m) => (m.sender ?? '').split('/')[0] ?? '');
    for (const caller of [...fromGraph, ...fromLog]) if (caller !== '' && caller !== target) add(caller, 'caller');
  }
  return [...out.entries()].map(([agent, roles]) => ({ agent, roles }));
}

function names(readings: readonly SymptomReading[]): string {
  return readings.map((r) => r.agent).join(', ');
}

/** The verdict over one reading (see the table above). */
export function judgeRecovery(input: RecoveryInput): RecoveryJudgement {
  const { current, reference, stage, errorRate } = input;
  const symptoms: SymptomReading[] = symptomAgents(input.actedOn, input.incidentAgents, current).map(({ agent, roles }) => {
    const a = findAgent(current, agent);
    if (!a) return { agent, roles, held: null, window: null, failing: false, evidence: `${agent} (${roles.join(', ')}): not found in the runtime` };
    const held = heldState(current, a);
    const w = windowOf(a, reference ? findAgent(reference, agent) : undefined, input.elapsedS);
    const failing = held === null && w.handled > 0 && w.errors / w.handled > errorRate;
    return { agent, roles, held, window: w, failing, evidence: describe(agent, roles, held, w, failing, errorRate, stage) };
  });
  const base = { stage, symptoms, at: input.now.toISOString() };
  const judged = symptoms.filter((s) => s.held === null && s.window !== null);
  const confirmed = judged.some((s) => (s.window?.handled ?? 0) > 0);
  if (!input.actionsEffective) {
    return { ...base, verdict: 'not_effective', confirmed, summary: 'The action did not take effect (see the checks below).' };
  }
  if (symptoms.length === 0) {
    return { ...base, verdict: 'resolved', confirmed: true, summary: 'The runbook\'s checks passed; the plan names no agent whose figures could tell more.' };
  }
  const failing = symptoms.filter((s) => s.failing);
  if (failing.length > 0) {
    return stage === 'after_release'
      ? { ...base, verdict: 'unresolved', confirmed: true, summary: `The temporary actions ended and ${names(failing)} fail${failing.length > 1 ? '' : 's'} again: the cause is still present.` }
      : { ...base, verdict: 'mitigated', confirmed: true, summary: `The action took effect, but ${names(failing)} still fail${failing.length > 1 ? '' : 's'}: the cause is still present.` };
  }
  const held = symptoms.filter((s) => s.held !== null && s.roles.some((r) => r !== 'caller'));
  if (held.length > 0) {
    const what = held.map((s) => `${s.agent} is ${s.held}`).join(', ');
    return { ...base, verdict: 'mitigated', confirmed, summary: `${what}: silent, not healthy — the cause is still present until it is released and handles messages without failing.` };
  }
  const quiet = confirmed ? '' : ' (no message went through them yet to confirm it)';
  return { ...base, verdict: 'resolved', confirmed, summary: `${names(judged) || 'The agents'} handle messages without failing${quiet}.` };
}
