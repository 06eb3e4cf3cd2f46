/**
 * `/autogen message <from> <to> [type]` — the guide's Message Diagnostic tool (§2.2) and message-timeout
 * checks (§4.2) between two agent types: both exist, the recipient is reachable and subscribed, it has a
 * handler for the type, no serialisation or authorisation failures, recent drops and timeouts between the
 * two, latency above 100 ms, backlog above 10. Pure: pass the data and `now` in.
 */
import { agentTypeOf } from '../identifiers.js';
import type { AgentDetail, AgentSummary, ErrorRecord, MessageRecord, RuntimeInfo, SubscriptionInfo } from '../runtime/schemas.js';
import type { Finding } from './classify.js';
import { GUIDE_FIXES, readErrorSignal } from './error-signals.js';
import { assembleReport, type GuideReport, type ReportSection } from './guide-report.js';
import { formatMs, plural, toMs } from './quantities.js';
import type { Thresholds } from './thresholds.js';

export interface MessageInput {
  readonly runtime: string;
  readonly from: string;
  readonly to: string;
  /** The message type asked about, if any. */
  readonly messageType?: string | null;
  readonly info: RuntimeInfo;
  /** Every registered agent type (`/v1/agents`). */
  readonly agents: readonly AgentSummary[];
  /** The recipient's detail (`/v1/agents/{to}`), null when it does not exist. */
  readonly recipient: AgentDetail | null;
  /** Recent deliveries (`/v1/messages`), any agents; filtered here. */
  readonly messages: readonly MessageRecord[];
  readonly thresholds: Thresholds;
  readonly now: Date;
}

const SERIALISATION_RE = /serializ|serialis|not json|jsondecode|pickl/i;
const AUTH_RE = /permission|unauthori[sz]ed|forbidden|auth/i;
const TIMEOUT_RE = /timeout|timed out|deadline/i;

function existsFinding(role: 'Sender' | 'Recipient', type: string, agents: readonly AgentSummary[]): Finding {
  const agent = agents.find((a) => a.type === type);
  const ok = agent?.registered === true;
  const instances = agent?.instances?.length ?? 0;
  return {
    check: role === 'Sender' ? 'message.sender_exists' : 'message.recipient_exists',
    status: ok ? 'ok' : 'fail',
    category: 'agent_creation',
    title: ok ? `${role} ${type} registered` : `${role} ${type} not registered`,
    evidence: ok
      ? instances > 0
        ? `${plural(instances, 'active instance')}`
        : 'registered; instances are created on demand'
      : `known types: ${agents.map((a) => a.type).join(', ') || 'none'}`,
    fix: ok ? [] : [GUIDE_FIXES.registerFactory],
    subject: type,
  };
}

/** "type:ChatRequest" / "default" — a subscription as one word. */
function subscriptionLabel(s: SubscriptionInfo): string {
  const kind = s.kind ?? 'subscription';
  return s.topic_type ? `${kind}:${s.topic_type}` : kind;
}

function reachableFinding(to: string, recipient: AgentDetail, info: RuntimeInfo): Finding {
  const isolated = recipient.isolated === true || (info.isolated ?? []).includes(to);
  const shed = recipient.degraded === true || (info.degraded?.agent_types ?? []).includes(to);
  if (isolated || shed) {
    return {
      check: 'message.reachable',
      status: 'fail',
      category: 'message_delivery',
      title: `${to} not reachable`,
      evidence: isolated ? 'the agent is isolated: messages are refused or held' : 'the agent is shed by degraded mode',
      fix: ['Release or restore the agent once its fault is fixed (`/autogen recover` plans it)'],
      subject: to,
    };
  }
  const subs = recipient.subscriptions ?? [];
  const topics = subs.map(subscriptionLabel);
  return {
    check: 'message.reachable',
    status: 'ok',
    category: 'message_delivery',
    title: `${to} reachable${subs.length ? ' and subscribed' : ''}`,
    evidence: subs.length
      ? `${plural(subs.length, 'subscription')}: ${topics.slice(0, 5).join(', ')}${topics.length > 5 ? ', …' : ''}`
      : 'not isolated; no topic subscriptions, so it receives direct sends only',
    fix: [],
    subject: to,
  };
}

function subscribedFinding(to: string, recipient: AgentDetail, between: readonly MessageRecord[]): Finding | null {
  const published = between.filter((m) => m.kind === 'publish').length;
  if (published === 0 || (recipient.subscriptions ?? []).length > 0) return null;
  return {
    check: 'message.subscribed',
    status: 'fail',
    category: 'message_delivery',
    title: `${to} not subscribed`,
    evidence: `${plural(published, 'published message')} addressed to it, but it has no subscriptions`,
    fix: ['Subscribe the agent to the topic (`@type_subscription` or `runtime.add_subscription`)'],
    subject: to,
  };
}

function handlerFinding(to: string, recipient: AgentDetail, types: readonly string[]): Finding {
  const handled = recipient.message_types ?? [];
  const missing = types.filter((t) => !handled.includes(t));
  if (types.length === 0) {
    return {
      check: 'message.handler',
      status: 'ok',
      category: 'message_delivery',
      title: `${to} handles ${plural(handled.length, 'message type')}`,
      evidence: handled.join(', ') || 'none declared',
      fix: [],
      subject: to,
    };
  }
  return {
    check: 'message.handler',
    status: missing.length ? 'fail' : 'ok',
    category: 'message_delivery',
    title: missing.length ? `${to} has no handler for ${missing.join(', ')}` : `${to} has a handler for ${types.join(', ')}`,
    evidence: `handled types: ${handled.join(', ') || 'none'}`,
    fix: missing.length ? [`Add a \`@message_handler\` for ${missing.join(', ')} to ${to}, or send a type it handles`] : [],
    subject: to,
  };
}

function patternFinding(
  check: 'message.serialisation' | 'message.authorisation',
  re: RegExp,
  between: readonly MessageRecord[],
  errors: readonly ErrorRecord[],
): Finding {
  const hits = [
    ...between.filter((m) => m.error && re.test(m.error)).map((m) => m.error ?? ''),
    ...errors.filter((e) => re.test(`${e.exception_type ?? ''} ${e.message ?? ''}`)).map((e) => `${e.exception_type ?? ''}: ${e.message ?? ''}`),
  ];
  const serial = check === 'message.serialisation';
  const what = serial ? 'Serialisation' : 'Authorisation';
  if (hits.length === 0) {
    return { check, status: 'ok', category: serial ? 'message_delivery' : 'configuration', title: `${what} OK`, evidence: 'no such failure between the two', fix: [] };
  }
  return {
    check,
    status: 'fail',
    category: serial ? 'message_delivery' : 'configuration',
    title: `${what} failures`,
    evidence: `${plural(hits.length, 'failure')}; e.g. ${hits[0]}`,
    fix: serial ? [GUIDE_FIXES.serialisation] : [GUIDE_FIXES.authorisation, GUIDE_FIXES.permissions],
    severity: hits.length,
  };
}

function dropsFinding(between: readonly MessageRecord[], info: RuntimeInfo): Finding {
  const failed = between.filter((m) => m.outcome === 'error' || m.outcome === 'refused');
  const timeouts = failed.filter((m) => TIMEOUT_RE.test(m.error ?? ''));
  if (failed.length === 0) {
    return { check: 'message.drops', status: 'ok', category: 'message_delivery', title: 'No drops or timeouts', evidence: `${plural(between.length, 'recent delivery', 'recent deliveries')} all succeeded or pending`, fix: [] };
  }
  const sample = failed[failed.length - 1]?.error ?? failed[failed.length - 1]?.outcome ?? '';
  const signal = readErrorSignal({ message: sample, dependencies: info.dependencies ?? [] });
  const refused = failed.filter((m) => m.outcome === 'refused').length;
  return {
    check: 'message.drops',
    status: 'fail',
    category: timeouts.length > failed.length / 2 ? 'timeouts' : refused > failed.length / 2 ? 'message_delivery' : signal.category,
    title: `${plural(failed.length, 'failed delivery', 'failed deliveries')} between the two`,
    evidence: `${failed.length} of ${between.length} recent (${refused} refused, ${timeouts.length} timed out); last: ${sample}`,
    fix: timeouts.length > failed.length / 2 ? [GUIDE_FIXES.raiseTimeout, GUIDE_FIXES.asyncOps, GUIDE_FIXES.scaleAgents] : signal.fix,
    severity: between.length ? failed.length / between.length : 1,
  };
}

/**
 * Delivery latency as the guide's §4.2 means it (the transport, not the handler): the bridge's `queued_ms`
 * (sent → handler starts) when it reports it, else the whole delivery time.
 */
function deliveryMs(m: MessageRecord): number | null {
  const queued = (m as Record<string, unknown>)['queued_ms'];
  if (typeof queued === 'number') return queued;
  return m.duration_ms ?? null;
}

/** Judged on the median delivery: one slow delivery (a warm-up, a GC pause) moves the average, not the typical. */
function latencyFinding(between: readonly MessageRecord[], t: Thresholds): Finding | null {
  const durations = between.map(deliveryMs).filter((d): d is number => d != null).sort((a, b) => a - b);
  if (durations.length === 0) return null;
  const avg = durations.reduce((a, b) => a + b, 0) / durations.length;
  const median = durations[Math.floor((durations.length - 1) / 2)]!;
  const high = median > t.messageLatencyMs;
  return {
    check: 'message.latency',
    status: high ? 'warn' : 'ok',
    category: 'performance',
    title: high ? 'Delivery latency high' : 'Delivery latency normal',
    evidence: `median ${formatMs(median)} from send to handling over ${plural(durations.length, 'delivery', 'deliveries')} (average ${formatMs(avg)}, slowest ${formatMs(durations[durations.length - 1]!)}; threshold ${formatMs(t.messageLatencyMs)})`,
    fix: high ? [GUIDE_FIXES.asyncOps, GUIDE_FIXES.scaleAgents, 'Check the recipient\'s speed with `/autogen perf`'] : [],
    severity: median / t.messageLatencyMs,
  };
}

function backlogFinding(to: string, recipient: AgentDetail, messages: readonly MessageRecord[], t: Thresholds): Finding {
  const pending = messages.filter((m) => agentTypeOf(m.recipient) === to && (m.outcome === 'pending' || m.outcome === 'held')).length;
  const waiting = (recipient as Record<string, unknown>)['waiting'];
  const backlog = Math.max(pending, (recipient.inflight ?? 0) + (typeof waiting === 'number' ? waiting : 0));
  const high = backlog > t.backlog;
  return {
    check: 'message.backlog',
    status: high ? 'fail' : 'ok',
    category: 'message_delivery',
    title: high ? `${to} backlogged` : `${to} keeps up`,
    evidence: `${plural(backlog, 'message')} waiting or in flight (threshold ${t.backlog})`,
    fix: high ? [GUIDE_FIXES.backpressure, GUIDE_FIXES.scaleAgents] : [],
    subject: to,
    severity: backlog / Math.max(1, t.backlog),
  };
}

export function diagnoseMessage(input: MessageInput): GuideReport {
  const { from, to, recipient, thresholds: t } = input;
  const between = input.messages.filter((m) => agentTypeOf(m.sender) === from && agentTypeOf(m.recipient) === to);
  const betweenOfType = input.messageType ? between.filter((m) => m.message_type === input.messageType) : between;
  const findings: Finding[] = [existsFinding('Sender', from, input.agents), existsFinding('Recipient', to, input.agents)];
  if (recipient) {
    const types = input.messageType ? [input.messageType] : [...new Set(between.map((m) => m.message_type).filter((x): x is string => !!x))];
    const errors = (recipient.recent_errors ?? []).filter((e) => !input.messageType || e.message_type === input.messageType);
    findings.push(
      reachableFinding(to, recipient, input.info),
      ...[subscribedFinding(to, recipient, betweenOfType)].filter((f): f is Finding => f !== null),
      handlerFinding(to, recipient, types),
      patternFinding('message.serialisation', SERIALISATION_RE, betweenOfType, errors),
      patternFinding('message.authorisation', AUTH_RE, betweenOfType, errors),
      dropsFinding(betweenOfType, input.info),
      ...[latencyFinding(betweenOfType, t)].filter((f): f is Finding => f !== null),
      backlogFinding(to, recipient, input.messages, t),
    );
  }
  const recent = [...betweenOfType].sort((a, b) => toMs(b.started_at) - toMs(a.started_at)).slice(0, 5);
  const sections: ReportSection[] = [
    {
      title: `Recent deliveries ${from} → ${to}`,
      lines: recent.length
        ? recent.map((m) => `${m.message_id} ${m.message_type ?? '?'} (${m.kind ?? 'send'}): ${m.outcome}${m.duration_ms != null ? ` in ${formatMs(m.duration_ms)}` : ''}${m.error ? ` — ${m.error}` : ''}`)
        : [`None in the last ${plural(input.messages.length, 'recorded delivery', 'recorded deliveries')}`],
    },
  ];
  const typePart = input.messageType ? ` (${input.messageType})` : '';
  return assembleReport({
    tool: 'message',
    runtime: input.runtime,
    subject: `${from} → ${to}${typePart}`,
    now: input.now,
    findings,
    sections,
    collected: ['agents', `${to} detail (subscriptions, handlers, recent errors)`, 'recent deliveries'],
    verifyCommand: `/autogen message ${from} ${to}${input.messageType ? ` ${input.messageType}` : ''} ${input.runtime}`,
    snapshotCommand: `/autogen snapshot ${input.runtime}`,
    healthyHeadline: `${from} → ${to}${typePart}: delivery healthy`,
  });
}
