/**
 * Incidents in Redis: the thin adapter around the Lua scripts in `scripts.ts`.
 *
 * Every mutation is one atomic script, so any number of workers can apply alerts of the same incident
 * at once: exactly one of them sees `created`, and only that one opens the Slack thread.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { NormalizedAlert } from './alert.js';
import { alertLine, incidentTitle } from './describe.js';
import { canonicalPairs, shortHash } from './fingerprint.js';
import type { IncidentScope } from './grouping.js';
import { SEVERITY_RANK, isSeverity, type Severity } from './severity.js';
import { APPLY_ALERTS, APPLY_REPLY, CLAIM_FLUSH, SILENCE, TRANSITION } from './scripts.js';
import { VOICE } from './voices.js';
import { SET_CAVEAT, caveatIdentity, caveatsOf, type CaveatKind, type Caveats, type StaleCaveat, type TruncatedCaveat } from './caveats.js';
import { isIncidentState, type IncidentEvent, type IncidentState } from './state.js';
import { shorten } from '../text/shorten.js';

/** Store options (the `alerts.incidents` section of the configuration). */
export interface IncidentStoreOptions {
  /** Key prefix with its trailing `:`, hash-tagged for Redis Cluster, e.g. `{autogen-ops}:`. */
  readonly keyPrefix: string;
  /** After resolution, how long a new firing alert of the same scope reopens the incident (same thread), ms. Default 15 min. */
  readonly reopenWindowMs: number;
  /** How long a resolved incident stays readable, ms. Default 7 days. */
  readonly retentionMs: number;
  /** Timeline entries kept per incident (older ones are dropped). Default 500. */
  readonly timelineMax: number;
}

export const DEFAULT_STORE_OPTIONS: Omit<IncidentStoreOptions, 'keyPrefix'> = Object.freeze({
  reopenWindowMs: 15 * 60_000,
  retentionMs: 7 * 24 * 3_600_000,
  timelineMax: 500,
});

/**
 * Most alerts applied in one script call: a notification of a huge group is split so that one call never
 * holds Redis (and every other client of it) for long.
 */
const APPLY_BATCH_MAX = 100;

/** Longest annotation value kept in an incident's alert detail. */
const DETAIL_VALUE_MAX = 500;

export interface Incident {
  readonly id: string;
  /** The scope key it was opened under. */
  readonly key: string;
  readonly title: string;
  readonly runtime: string | null;
  readonly agent: string | null;
  /** Agent types whose alerts joined (the cascade as seen so far), sorted. */
  readonly agents: readonly string[];
  readonly source: string;
  readonly severity: Severity;
  readonly state: IncidentState;
  /** Channel id the thread lives in. */
  readonly channel: string;
  /** When the bot opened it (ms). */
  readonly openedAt: number;
  /** When its problem began: the earliest start of its firing alerts (ms); the incident's age and duration count from here. */
  readonly startedAt: number;
  readonly updatedAt: number;
  readonly resolvedAt: number | null;
  /** Who resolved it ('' = all its alerts resolved), null while not resolved. */
  readonly resolvedBy: string | null;
  readonly ackedBy: string | null;
  readonly mitigatedBy: string | null;
  /** Thread updates are held back until this time (ms), null when not silenced. */
  readonly silencedUntil: number | null;
  readonly silencedBy: string | null;
  readonly alertsTotal: number;
  readonly alertsFiring: number;
  readonly reopenedCount: number;
  /** Bumped by every change. */
  readonly version: number;
  /** When the automatic diagnosis was claimed, null before. */
  readonly diagnosedAt: number | null;
  /** What the root must say when its state may not be the whole truth (src/incidents/caveats.ts). */
  readonly caveats?: Caveats;
  /** Merged by a person into another incident (src/incidents/merge.ts): its id and root ts, if known. */
  readonly mergedInto?: { readonly id: string; readonly rootTs: string | null } | null;
}

/** What an applied alert did. */
export interface ApplyResult {
  /** '' when a resolution arrived for no known incident (nothing was stored). */
  readonly incidentId: string;
  /** This call opened the incident: the caller opens its thread. */
  readonly created: boolean;
  /** Something changed (false: a resend, or an older event arriving late; see the merge table of APPLY_ALERTS). */
  readonly changed: boolean;
  readonly reopened: boolean;
  /** This call resolved the incident (its last firing alert resolved). */
  readonly resolvedNow: boolean;
  readonly state: IncidentState | null;
  readonly firing: number;
  readonly total: number;
  readonly version: number;
  /** The first change since the thread's last flush: ask for a flush (later changes ride along). */
  readonly needsFlush: boolean;
}

export type TransitionResult =
  | { readonly outcome: 'changed'; readonly state: IncidentState; readonly version: number }
  | { readonly outcome: 'same' | 'invalid'; readonly state: IncidentState; readonly version: number }
  | { readonly outcome: 'missing' };

/** One timeline entry. */
export interface TimelineEntry {
  /** Incident version the entry was written at. */
  readonly v: number;
  readonly at: number;
  /** firing | resolved | updated (an alert; updated: its labels or annotations changed), reopened, state (a transition), silence, note */
  readonly k: string;
  readonly fp?: string;
  /** One-line description (alert entries; untrusted, not escaped). */
  readonly t?: string;
  readonly from?: string;
  readonly to?: string;
  readonly by?: string;
  readonly note?: string;
  readonly until?: number;
}

export interface FlushClaim {
  /** Version range (from, to] of the claimed entries. */
  readonly from: number;
  readonly to: number;
  /** Entries in the range still in the (capped) timeline, oldest first. */
  readonly entries: readonly TimelineEntry[];
}

/** An alert as the incident keeps it. */
export interface StoredAlert {
  readonly fingerprint: string;
  readonly status: 'firing' | 'resolved';
  readonly startsAt: number;
  readonly endsAt: number | null;
  readonly detail: AlertDetail;
}

/** What of an alert is kept for display (labels, shortened annotations, link). */
export interface AlertDetail {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly generatorURL: string | null;
  readonly source: string;
  readonly groupKey: string | null;
}

export interface ApplyAlertInput {
  readonly alert: NormalizedAlert;
  readonly scope: IncidentScope;
  readonly severity: Severity;
  /** Channel the thread opens in, if this alert opens the incident. */
  readonly channel: string;
  /**
   * When the bot received the notification carrying this alert (ms; the job's `received_at`). Orders
   * events of one fingerprint (see the merge table of APPLY_ALERTS). Without it the event counts as the
   * latest, and only start times tell a new episode from a late copy.
   */
  readonly receivedAt?: number;
}

/** Random bytes drawn in blocks (a new id is needed for every applied alert, used only when one opens). */
let randomPool = Buffer.alloc(0);
let randomAt = 0;

/** A new incident id: `inc-` + base-36 time + 6 hex digits (sortable by time, no `:`). */
export function newIncidentId(nowMs: number): string {
  if (randomAt + 3 > randomPool.length) {
    randomPool = randomBytes(3 * 1024);
    randomAt = 0;
  }
  const hex = randomPool.toString('hex', randomAt, randomAt + 3);
  randomAt += 3;
  return `inc-${nowMs.toString(36)}${hex}`;
}

const num = (v: string | undefined): number | null => (v === undefined || v === '' ? null : Number(v));
const str = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);

function toIncident(h: Record<string, string>, agents: string[]): Incident | null {
  if (!h.id || !h.state || !isIncidentState(h.state)) return null;
  const severity = h.severity && isSeverity(h.severity) ? h.severity : 'warning';
  return {
    id: h.id,
    key: h.key ?? '',
    title: h.title ?? '',
    runtime: str(h.runtime),
    agent: str(h.agent),
    agents: agents.sort(),
    source: h.source ?? '',
    severity,
    state: h.state,
    channel: h.channel ?? '',
    openedAt: num(h.opened_at) ?? 0,
    startedAt: Math.min(num(h.started_at) ?? Number.POSITIVE_INFINITY, num(h.opened_at) ?? 0),
    updatedAt: num(h.updated_at) ?? 0,
    resolvedAt: num(h.resolved_at),
    resolvedBy: h.resolved_at ? (h.resolved_by ?? '') : null,
    ackedBy: str(h.acked_by),
    mitigatedBy: str(h.mitigated_by),
    silencedUntil: num(h.silenced_until) || null,
    silencedBy: str(h.silenced_by),
    alertsTotal: num(h.alerts) ?? 0,
    alertsFiring: num(h.firing) ?? 0,
    reopenedCount: num(h.reopened) ?? 0,
    version: num(h.version) ?? 0,
    diagnosedAt: num(h.diagnosed_at),
    caveats: caveatsOf(h),
    mergedInto: h.merged_into ? { id: h.merged_into, rootTs: str(h.merged_into_ts) } : null,
  };
}

type Reply = (string | number)[];

/** The ApplyResult at `at` of an APPLY_ALERTS reply. */
function applyResult(reply: Reply, at: number): ApplyResult {
  const state = String(reply[at + 5]);
  return {
    incidentId: String(reply[at]),
    created: Number(reply[at + 1]) === 1,
    changed: Number(reply[at + 2]) === 1,
    reopened: Number(reply[at + 3]) === 1,
    resolvedNow: Number(reply[at + 4]) === 1,
    state: isIncidentState(state) ? state : null,
    firing: Number(reply[at + 6]),
    total: Number(reply[at + 7]),
    version: Number(reply[at + 8]),
    needsFlush: Number(reply[at + 9]) === 1,
  };
}

/** A Lua script run by its SHA1 (EVALSHA), loaded on first use or after a Redis restart (NOSCRIPT). */
class Script {
  private readonly sha: string;
  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly string[]): Promise<Reply> {
    try {
      return (await redis.evalsha(this.sha, keys.length, ...keys, ...args)) as Reply;
    } catch (err) {
      if (!(err instanceof Error) || !err.message.includes('NOSCRIPT')) throw err;
      return (await redis.eval(this.lua, keys.length, ...keys, ...args)) as Reply;
    }
  }
}

const SCRIPTS = {
  apply: new Script(APPLY_ALERTS),
  transition: new Script(TRANSITION),
  silence: new Script(SILENCE),
  claimFlush: new Script(CLAIM_FLUSH),
  setCaveat: new Script(SET_CAVEAT),
  voice: new Script(VOICE),
};

/** An alert's values 3–15 of its APPLY_ALERTS block (`groupIndex`: its group's index key or ''). */
function alertArgs({ alert, scope, severity, channel, receivedAt }: ApplyAlertInput, groupIndex: string): string[] {
  const detail: AlertDetail = {
    labels: alert.labels,
    annotations: Object.fromEntries(Object.entries(alert.annotations).map(([k, v]) => [k, shorten(v, DETAIL_VALUE_MAX)])),
    generatorURL: alert.generatorURL,
    source: alert.source,
    groupKey: alert.groupKey,
  };
  const creation = {
    key: scope.key,
    title: incidentTitle(alert),
    runtime: scope.runtime ?? '',
    agent: scope.agent ?? '',
    channel,
    source: alert.source,
  };
  return [
    alert.fingerprint,
    alert.status,
    alert.startsAt === null ? '' : String(Date.parse(alert.startsAt)),
    alert.endsAt === null ? '' : String(Date.parse(alert.endsAt)),
    severity,
    String(SEVERITY_RANK[severity]),
    JSON.stringify(detail),
    JSON.stringify(creation),
    scope.agent ?? '',
    groupIndex,
    alertLine(alert, scope.agent),
    // what the alert says, as kept: a change of it (same fingerprint, still firing) is an update
    shortHash(JSON.stringify([canonicalPairs(detail.labels), canonicalPairs(detail.annotations)]), 16),
    receivedAt === undefined ? '' : String(receivedAt),
  ];
}

export class IncidentStore {
  readonly options: IncidentStoreOptions;

  constructor(private readonly redis: Redis, options: Partial<IncidentStoreOptions> & { keyPrefix: string }) {
    this.options = { ...DEFAULT_STORE_OPTIONS, ...options };
  }

  private get p(): string {
    return this.options.keyPrefix;
  }

  incidentKey(id: string): string {
    return `${this.p}inc:${id}`;
  }

  openIndexKey(scopeKey: string): string {
    return `${this.p}inc:open:${scopeKey}`;
  }

  groupIndexKey(groupKey: string): string {
    return `${this.p}inc:group:${shortHash(groupKey)}`;
  }

  /** Applies one alert event atomically (see APPLY_ALERTS). */
  async applyAlert(input: ApplyAlertInput, nowMs: number): Promise<ApplyResult> {
    return (await this.applyAlerts([input], nowMs))[0]!;
  }

  /**
   * Applies alert events in order, up to APPLY_BATCH_MAX per atomic script call (see APPLY_ALERTS): one
   * round trip for a whole notification instead of one per alert. Results are in the inputs' order.
   */
  async applyAlerts(inputs: readonly ApplyAlertInput[], nowMs: number): Promise<ApplyResult[]> {
    const results: ApplyResult[] = [];
    for (let from = 0; from < inputs.length; from += APPLY_BATCH_MAX) {
      const batch = inputs.slice(from, from + APPLY_BATCH_MAX);
      const keys: string[] = [];
      const groupKeys = new Map<string, string>(); // a notification's alerts share one group
      const args: string[] = [
        this.p, String(nowMs), String(this.options.reopenWindowMs), String(this.options.timelineMax),
        String(this.options.retentionMs), String(batch.length),
      ];
      for (const input of batch) {
        for (const k of input.scope.candidateKeys) keys.push(this.openIndexKey(k));
        const group = input.alert.groupKey;
        let groupIndex = '';
        if (group !== null) {
          groupIndex = groupKeys.get(group) ?? this.groupIndexKey(group);
          groupKeys.set(group, groupIndex);
        }
        args.push(String(input.scope.candidateKeys.length), newIncidentId(nowMs), ...alertArgs(input, groupIndex));
      }
      const reply = await SCRIPTS.apply.run(this.redis, keys, args);
      for (let i = 0; i < batch.length; i += 1) results.push(applyResult(reply, i * APPLY_REPLY));
    }
    return results;
  }

  /** A state change by a person (`by`: Slack user id) or by the bot (`by`: a name like `runbook`). */
  async transition(id: string, event: IncidentEvent, by: string, nowMs: number, note = ''): Promise<TransitionResult> {
    const reply = await SCRIPTS.transition.run(this.redis, [this.incidentKey(id)], [
      this.p, id, event, by, String(nowMs),
      String(this.options.reopenWindowMs), String(this.options.retentionMs), String(this.options.timelineMax), note,
    ]);
    const outcome = String(reply[0]);
    if (outcome === 'missing') return { outcome: 'missing' };
    const state = String(reply[1]);
    if (!isIncidentState(state)) return { outcome: 'missing' };
    return { outcome: outcome as 'changed' | 'same' | 'invalid', state, version: Number(reply[2]) };
  }

  /** Holds thread updates back until `untilMs` (0 lifts the silence). False when the incident is unknown. */
  async silence(id: string, untilMs: number, by: string, nowMs: number): Promise<boolean> {
    const reply = await SCRIPTS.silence.run(this.redis, [this.incidentKey(id)], [
      String(untilMs), by, String(nowMs), String(this.options.timelineMax),
    ]);
    return String(reply[0]) === 'changed';
  }

  /**
   * Sets (value) or clears (null) one caveat of an incident (see SET_CAVEAT). Returns true when the root
   * must be edited (the caller asks for a flush); `note` becomes a thread line.
   */
  async setCaveat(id: string, kind: CaveatKind, value: TruncatedCaveat | StaleCaveat | null, nowMs: number, note = ''): Promise<boolean> {
    const reply = (await SCRIPTS.setCaveat.run(this.redis, [this.incidentKey(id)], [
      `caveat_${kind}`, value === null ? '' : JSON.stringify(value), caveatIdentity(kind, value), String(nowMs), String(this.options.timelineMax), note,
    ])) as unknown as number;
    return Number(reply) > 0;
  }

  /** One voice per problem: whether `alert` is applied, dropped or hands over (see VOICE in voices.ts). */
  async voice(voiceKey: string, alert: NormalizedAlert): Promise<{ kind: 'pass' | 'drop' | 'handover'; events?: readonly string[] }> {
    const reply = await SCRIPTS.voice.run(this.redis, [`${this.p}inc:voice:${voiceKey}`], [
      alert.fingerprint, alert.status, JSON.stringify(alert), String(this.options.retentionMs), alert.source,
    ]);
    const kind = String(reply[0]);
    if (kind === 'handover') return { kind, events: reply.slice(1).map(String) };
    return { kind: kind === 'drop' ? 'drop' : 'pass' };
  }

  /** True exactly once per incident: the caller runs the automatic diagnosis. */
  async claimDiagnosis(id: string, nowMs: number): Promise<boolean> {
    const key = this.incidentKey(id);
    if ((await this.redis.exists(key)) === 0) return false;
    return (await this.redis.hsetnx(key, 'diagnosed_at', String(nowMs))) === 1;
  }

  /** Claims the timeline entries not yet posted (see CLAIM_FLUSH); null for an unknown incident. */
  async claimFlush(id: string, claimer: string): Promise<FlushClaim | null> {
    const reply = await SCRIPTS.claimFlush.run(this.redis, [this.incidentKey(id)], [claimer]);
    if (reply.length === 0) return null;
    const entries = reply.slice(2).map((raw) => JSON.parse(String(raw)) as TimelineEntry);
    return { from: Number(reply[0]), to: Number(reply[1]), entries };
  }

  async get(id: string): Promise<Incident | null> {
    const key = this.incidentKey(id);
    const [h, agents] = await Promise.all([this.redis.hgetall(key), this.redis.smembers(`${key}:agents`)]);
    return toIncident(h, agents);
  }

  /** Active (not resolved) incidents, oldest first, at most `limit`. */
  async listActive(limit = 50): Promise<Incident[]> {
    const ids = await this.redis.zrange(`${this.p}inc:active`, 0, limit - 1);
    const out: Incident[] = [];
    for (const id of ids) {
      const inc = await this.get(id);
      if (inc) out.push(inc);
    }
    return out;
  }

  async countActive(): Promise<number> {
    return this.redis.zcard(`${this.p}inc:active`);
  }

  /** The newest `limit` timeline entries, oldest first. */
  async timeline(id: string, limit = 50): Promise<TimelineEntry[]> {
    const raw = await this.redis.lrange(`${this.incidentKey(id)}:timeline`, -limit, -1);
    return raw.map((r) => JSON.parse(r) as TimelineEntry);
  }

  /** The incident's alerts, firing first. */
  async alerts(id: string): Promise<StoredAlert[]> {
    const raw = await this.redis.hgetall(`${this.incidentKey(id)}:alerts`);
    const out: StoredAlert[] = [];
    for (const [fingerprint, json] of Object.entries(raw)) {
      const a = JSON.parse(json) as { s: number; r: number; e?: number; d: string };
      out.push({
        fingerprint,
        status: a.r === 1 ? 'firing' : 'resolved',
        startsAt: a.s,
        endsAt: a.e ?? null,
        detail: JSON.parse(a.d) as AlertDetail,
      });
    }
    return out.sort((x, y) => (x.status === y.status ? x.startsAt - y.startsAt : x.status === 'firing' ? -1 : 1));
  }

  /** `{incidentId, fingerprint}` of the alerts firing from one Alertmanager group (for reconciliation). */
  async firingInGroup(groupKey: string): Promise<{ incidentId: string; fingerprint: string }[]> {
    const members = await this.redis.smembers(this.groupIndexKey(groupKey));
    return members.map((m) => {
      const bar = m.indexOf('|');
      return { incidentId: m.slice(0, bar), fingerprint: m.slice(bar + 1) };
    });
  }

  /** The stored form of one alert of an incident, or null. */
  async alert(id: string, fingerprint: string): Promise<StoredAlert | null> {
    const json = await this.redis.hget(`${this.incidentKey(id)}:alerts`, fingerprint);
    if (json === null) return null;
    const a = JSON.parse(json) as { s: number; r: number; e?: number; d: string };
    return { fingerprint, status: a.r === 1 ? 'firing' : 'resolved', startsAt: a.s, endsAt: a.e ?? null, detail: JSON.parse(a.d) as AlertDetail };
  }
}
