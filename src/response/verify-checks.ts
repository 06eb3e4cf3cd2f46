/**
 * Verification: a runbook's success conditions evaluated over two readings of the runtime — the baseline
 * taken right after the last action applied, and the reading after the settle time. Pure; each result
 * carries the evidence shown in the outcome message.
 */
import type { ResolvedCheck } from './plan.js';
import { findAgent, type AgentView, type MessageView, type RuntimeView } from './runtime-view.js';

export interface CheckResult {
  readonly check: string;
  readonly target: string | null;
  readonly passed: boolean;
  /** One line of evidence, e.g. "ToolAgent: isolated, 0 messages handled since the action (12 refused)". */
  readonly evidence: string;
}

export interface VerifyOutcome {
  readonly passed: boolean;
  readonly results: readonly CheckResult[];
}

const MB = 1024 * 1024;

function n(v: number | null | undefined): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function missing(check: string, target: string): CheckResult {
  return { check, target, passed: false, evidence: `${target}: not found in the runtime` };
}

function perAgent(check: ResolvedCheck, baseline: RuntimeView, current: RuntimeView,
  evaluate: (now: AgentView, before: AgentView | undefined) => { passed: boolean; evidence: string }): CheckResult[] {
  const targets = check.targets ?? [];
  if (targets.length === 0) return [{ check: check.check, target: null, passed: false, evidence: 'no agent to check (the plan resolved none)' }];
  return targets.map((t) => {
    const now = findAgent(current, t);
    if (!now) return missing(check.check, t);
    const r = evaluate(now, findAgent(baseline, t));
    return { check: check.check, target: t, passed: r.passed, evidence: `${t}: ${r.evidence}` };
  });
}

/**
 * Deliveries refused since the action: the bridge's own counter when both readings carry it (no clock
 * comparison between the bot and the bridge), else the refused records of its message log since then.
 */
function refusedSince(current: RuntimeView, a: AgentView, before: AgentView | undefined, since: Date): number {
  const msgs = current.messages?.[a.type] ?? [];
  const logged = msgs.filter((m) => m.outcome === 'refused' && m.started_at !== null && m.started_at !== undefined && Date.parse(m.started_at) >= since.getTime()).length;
  const now = a.refused_total;
  const then = before?.refused_total;
  const counted = typeof now === 'number' && typeof then === 'number' ? Math.max(0, now - then) : 0;
  return Math.max(counted, logged);
}

/** The manager's request for a participant's turn (autogen-agentchat 0.7). */
const TURN_REQUEST = 'GroupChatRequestPublish';

/**
 * `no_deliveries` for an AgentChat participant: an isolated or shed participant still receives its team's
 * conversation (the bridge answers its turns with a refusal, so `team.run()` keeps going), so what must stop
 * is the turns it takes itself — turn requests handled since the action, from the bridge's message log.
 */
function participantTurns(current: RuntimeView, a: AgentView, b: AgentView | undefined, since: Date): { passed: boolean; evidence: string } {
  const after = (m: MessageView): boolean => typeof m.started_at === 'string' && Date.parse(m.started_at) >= since.getTime();
  // One turn request may be logged twice (its publish and its delivery): taken when none of its records was refused.
  const outcomes = new Map<string, string[]>();
  for (const m of current.messages?.[a.type] ?? []) {
    if (m.message_type === TURN_REQUEST && after(m)) outcomes.set(m.message_id, [...(outcomes.get(m.message_id) ?? []), m.outcome]);
  }
  const taken = [...outcomes.values()].filter((o) => o.includes('ok') && !o.includes('refused')).length;
  const refused = refusedSince(current, a, b, since);
  const allowance = n(b?.inflight);
  const conversation = Math.max(0, n(a.handled_total) - n(b?.handled_total) - taken);
  return {
    passed: taken <= allowance,
    evidence: `${taken} turn(s) taken since the action${allowance > 0 ? ` (${allowance} were in flight)` : ''}, ${refused} answered with a refusal; `
      + `${conversation} message(s) of the team's conversation received (a team member still hears it)`,
  };
}

function one(check: ResolvedCheck, baseline: RuntimeView, current: RuntimeView, since: Date): CheckResult[] {
  const rt = current.runtime;
  switch (check.check) {
    case 'isolated':
      return perAgent(check, baseline, current, (a) => ({
        passed: a.isolated === true || (rt.isolated ?? []).includes(a.type),
        evidence: a.isolated === true ? 'isolated' : 'NOT isolated',
      }));
    case 'no_deliveries':
      return perAgent(check, baseline, current, (a, b) => {
        if (a.team && a.role !== 'manager') return participantTurns(current, a, b, since);
        const handled = n(a.handled_total) - n(b?.handled_total);
        // Messages already in flight when the baseline was read may still finish.
        const allowance = n(b?.inflight);
        const refused = refusedSince(current, a, b, since);
        return {
          passed: handled <= allowance,
          evidence: `${handled} message(s) handled since the action${allowance > 0 ? ` (${allowance} were in flight)` : ''}, ${refused} refused`,
        };
      });
    case 'new_errors_at_most':
      return perAgent(check, baseline, current, (a, b) => {
        const added = n(a.errors_total) - n(b?.errors_total);
        return { passed: added <= check.max, evidence: `${added} new handler error(s) since the action (at most ${check.max})` };
      });
    case 'error_rate_at_most':
      return perAgent(check, baseline, current, (a) => ({
        passed: n(a.error_rate) <= check.max,
        evidence: `error rate ${(n(a.error_rate) * 100).toFixed(1)} % (at most ${(check.max * 100).toFixed(1)} %)`,
      }));
    case 'backpressured':
      if (check.targets === null) {
        return [{ check: check.check, target: null, passed: rt.max_inflight != null, evidence: rt.max_inflight != null ? `runtime max in-flight ${rt.max_inflight}` : 'runtime has no in-flight limit' }];
      }
      return perAgent(check, baseline, current, (a) => ({
        passed: a.backpressured === true || a.max_inflight != null,
        evidence: a.max_inflight != null ? `max in-flight ${a.max_inflight}` : 'no in-flight limit',
      }));
    case 'inflight_at_most':
      if (check.targets === null) {
        return [{ check: check.check, target: null, passed: n(rt.inflight) <= check.max, evidence: `runtime in-flight ${n(rt.inflight)} (at most ${check.max})` }];
      }
      return perAgent(check, baseline, current, (a) => ({
        passed: n(a.inflight) <= check.max,
        evidence: `in-flight ${n(a.inflight)} (at most ${check.max})`,
      }));
    case 'queue_depth_at_most':
      return [{ check: check.check, target: null, passed: rt.queue_depth <= check.max, evidence: `queue depth ${rt.queue_depth} (at most ${check.max})` }];
    case 'rss_at_most_mb': {
      const mb = n(rt.rss_bytes) / MB;
      return [{ check: check.check, target: null, passed: mb <= check.max_mb, evidence: `RSS ${mb.toFixed(0)} MB (at most ${check.max_mb} MB)` }];
    }
    case 'rss_not_growing': {
      const before = n(baseline.runtime.rss_bytes);
      const now = n(rt.rss_bytes);
      const growth = before > 0 ? (now - before) / before : 0;
      return [{ check: check.check, target: null, passed: growth <= check.tolerance,
        evidence: `RSS ${(before / MB).toFixed(0)} → ${(now / MB).toFixed(0)} MB (${growth >= 0 ? '+' : ''}${(growth * 100).toFixed(1)} %, at most +${(check.tolerance * 100).toFixed(0)} %)` }];
    }
    case 'features_disabled':
      return check.features.map((f) => {
        const state = rt.features?.[f];
        const off = state === false || (rt.degraded?.features ?? []).includes(f);
        return { check: check.check, target: null, passed: off, evidence: `feature ${f}: ${state === undefined && !off ? 'not registered' : off ? 'off' : 'still on'}` };
      });
    case 'runtime_degraded':
      return [{ check: check.check, target: null, passed: rt.degraded?.active === true,
        evidence: rt.degraded?.active ? `runtime degraded (features off: ${(rt.degraded.features ?? []).join(', ') || 'none'}; agents shed: ${(rt.degraded.agent_types ?? []).join(', ') || 'none'})` : 'runtime NOT degraded' }];
    case 'agent_running':
      return perAgent(check, baseline, current, (a, b) => {
        const instances = a.instances?.length ?? 0;
        const newErrors = n(a.construction_errors) - n(b?.construction_errors);
        return {
          passed: a.registered && instances > 0 && newErrors <= 0,
          evidence: `${a.registered ? 'registered' : 'NOT registered'}, ${instances} instance(s), ${newErrors} new construction error(s)`,
        };
      });
    case 'handling_messages':
      return perAgent(check, baseline, current, (a, b) => {
        const handled = n(a.handled_total) - n(b?.handled_total);
        return { passed: handled >= check.min, evidence: `${handled} message(s) handled since the action (at least ${check.min})` };
      });
    case 'latency_p95_at_most_ms':
      return perAgent(check, baseline, current, (a) => ({
        passed: n(a.latency_ms?.p95) <= check.max_ms,
        evidence: `p95 latency ${n(a.latency_ms?.p95).toFixed(0)} ms (at most ${check.max_ms} ms)`,
      }));
  }
}

/** Evaluates every check; the plan passes when all results pass. `since` is when the last action applied. */
export function evaluateChecks(checks: readonly ResolvedCheck[], baseline: RuntimeView, current: RuntimeView, since: Date): VerifyOutcome {
  const results = checks.flatMap((c) => one(c, baseline, current, since));
  return { passed: results.length > 0 && results.every((r) => r.passed), results };
}
