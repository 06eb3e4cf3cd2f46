/**
 * Incidents in Redis: the thin adapter around the incident Lua scripts (src/redis/scripts/incident-*.lua,
 * run through src/redis/scripts.ts).
 *
 * Every mutation is one atomic script, so any number of workers can apply alerts of the same incident
 * at once: exactly one of them sees `created`, and only that one opens the Slack thread.
 *
 * Keys (P = key prefix, hash-tagged so that every key shares one Redis Cluster slot):
 *   P inc:open:<scope key>   → incident id (no TTL while active; the reopen window once resolved)
 *   P inc:<id>               hash: the incident's fields (started_at: earliest start of its firing alerts; title_fp: the
 *                            fingerprint of the alert its title comes from)
 *   P inc:<id>:alerts        hash: fingerprint → {s: start ms, r: 1 firing / 2 resolved, e: end ms, d: detail,
 *                            c: content hash, p: 1 when resolved by a person or plan}
 *   P inc:<id>:seen          hash: fingerprint → when the newest event applied to it was received (ms); apart
 *                            from the alert so that a resend updates a number, not the whole alert
 *   P inc:<id>:firing        set of firing fingerprints
 *   P inc:<id>:keys          set of the open-index keys leading here
 *   P inc:<id>:agents        set of agent types involved
 *   P inc:<id>:timeline      list of JSON entries {v, at, k, ...}, capped
 *   P inc:active             sorted set: active incident id → opened at (ms)
 *   P inc:group:<hash>       set of "<id>|<fingerprint>" firing from one Alertmanager group
 *
 * A script is given every key it touches. Which incidents a batch of alerts reaches is known only in Redis
 * (the open-index keys), so the store passes the keys of the incidents it expects (remembered from earlier
 * calls) and the script, before writing anything, answers what was missing; the store adds it and calls
 * again (APPLY_ATTEMPTS). The transition table (src/incidents/state.ts) is handed to the scripts with each
 * call: one source of truth for TS and Lua.
 */
import { randomBytes } from 'node:crypto';
import type { RedisClient } from '../redis/connect.js';
import type { NormalizedAlert } from './alert.js';
import { alertLine, incidentTitle } from './describe.js';
import { canonicalPairs, shortHash } from './fingerprint.js';
import type { IncidentScope } from './grouping.js';
import { SEVERITY_RANK, isSeverity, type Severity } from './severity.js';
import { runScript, type ApplyAlertArg, type IncidentBlockArg } from '../redis/scripts.js';
import { LruMap } from '../lru.js';
import { caveatIdentity, caveatsOf, type CaveatKind, type Caveats, type StaleCaveat, type TruncatedCaveat } from './caveats.js';
import { TRANSITIONS, isIncidentState, type IncidentEvent, type IncidentState } from './state.js';
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

/** Values per alert in the reply of incident-apply.lua. */
const APPLY_REPLY = 10;

/**
 * Most calls of one batch (or one transition, one merge) while the script still reports keys it was not
 * given (each call adds them; more than two means the incidents kept changing under it).
 */
export const APPLY_ATTEMPTS = 6;

/** Open-index keys and incidents remembered per store, to pass the right keys on the first call. */
const KNOWN_MAX = 10_000;

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
  /** Something changed (false: a resend, or an older event arriving late; see the merge table of incident-apply.lua). */
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
   * events of one fingerprint (see the merge table of incident-apply.lua). Without it the event counts as the
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

/** The ApplyResult at `at` of an incident-apply.lua reply. */
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

/** An alert's part of the incident-apply.lua argument, but its KEYS positions. */
function alertArg({ alert, scope, severity, channel, receivedAt }: ApplyAlertInput): Omit<ApplyAlertArg, 'k' | 'g'> {
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
  return {
    fp: alert.fingerprint,
    status: alert.status,
    s: msOrUndefined(alert.startsAt),
    e: msOrUndefined(alert.endsAt),
    sev: severity,
    rank: SEVERITY_RANK[severity],
    d: JSON.stringify(detail),
    c: creation,
    agent: scope.agent ?? '',
    t: alertLine(alert, scope.agent),
    // what the alert says, as kept: a change of it (same fingerprint, still firing) is an update
    h: shortHash(JSON.stringify([canonicalPairs(detail.labels), canonicalPairs(detail.annotations)]), 16),
    r: receivedAt !== undefined && Number.isFinite(receivedAt) ? receivedAt : undefined,
  };
}

/** An ISO time as ms; undefined when absent or unreadable (as the script's `tonumber('')` was). */
function msOrUndefined(iso: string | null): number | undefined {
  if (iso === null) return undefined;
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms : undefined;
}

/** A list from a script's JSON reply (Lua's cjson writes an empty list as `{}`). */
const listOf = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** Adds the keys of `more` not yet in `keys`. */
function union(keys: readonly string[] | undefined, more: readonly string[]): string[] {
  return [...new Set([...(keys ?? []), ...more])];
}

/** An incident's keys in the order of the scripts' incident blocks (src/redis/scripts/include/incident-keys.lua). */
export function incidentKeys(prefix: string, id: string): string[] {
  const h = `${prefix}inc:${id}`;
  return [h, `${h}:alerts`, `${h}:seen`, `${h}:firing`, `${h}:keys`, `${h}:agents`, `${h}:timeline`];
}

export class IncidentStore {
  readonly options: IncidentStoreOptions;
  /** Open-index key → the incident it led to when last seen (a hint for the keys to pass; the script checks). */
  private readonly knownIds = new LruMap<string, string>(KNOWN_MAX);
  /** Incident id → the open-index keys it was last seen holding (a hint, likewise). */
  private readonly knownKeys = new LruMap<string, readonly string[]>(KNOWN_MAX);

  constructor(private readonly redis: RedisClient, options: Partial<IncidentStoreOptions> & { keyPrefix: string }) {
    this.options = { ...DEFAULT_STORE_OPTIONS, ...options };
  }

  private get p(): string {
    return this.options.keyPrefix;
  }

  incidentKey(id: string): string {
    return `${this.p}inc:${id}`;
  }

  incidentKeys(id: string): string[] {
    return incidentKeys(this.p, id);
  }

  private get activeKey(): string {
    return `${this.p}inc:active`;
  }

  openIndexKey(scopeKey: string): string {
    return `${this.p}inc:open:${scopeKey}`;
  }

  groupIndexKey(groupKey: string): string {
    return `${this.p}inc:group:${shortHash(groupKey)}`;
  }

  /** Applies one alert event atomically (see applyAlerts). */
  async applyAlert(input: ApplyAlertInput, nowMs: number): Promise<ApplyResult> {
    return (await this.applyAlerts([input], nowMs))[0]!;
  }

  /**
   * Applies alert events in order, up to APPLY_BATCH_MAX per atomic script call (incident-apply.lua, whose
   * header holds the merge table): one round trip for a whole notification instead of one per alert (two
   * when the incidents it reaches were not seen by this store yet). Results are in the inputs' order.
   */
  async applyAlerts(inputs: readonly ApplyAlertInput[], nowMs: number): Promise<ApplyResult[]> {
    const results: ApplyResult[] = [];
    for (let from = 0; from < inputs.length; from += APPLY_BATCH_MAX) {
      results.push(...(await this.applyBatch(inputs.slice(from, from + APPLY_BATCH_MAX), nowMs)));
    }
    return results;
  }

  private async applyBatch(batch: readonly ApplyAlertInput[], nowMs: number): Promise<ApplyResult[]> {
    // the keys every call of this batch passes: the active set, then each alert's index keys
    const keys: string[] = [this.activeKey];
    const position = new Map<string, number>();
    const at = (key: string): number => {
      let p = position.get(key);
      if (p === undefined) {
        keys.push(key);
        p = keys.length;
        position.set(key, p);
      }
      return p;
    };
    const groupKeys = new Map<string, string>(); // a notification's alerts share one group
    const ids = new Set<string>();
    const ownUnknown = new Set<string>();
    const alerts: ApplyAlertArg[] = batch.map((input) => {
      const candidates = input.scope.candidateKeys.map((k) => this.openIndexKey(k));
      let known = false;
      for (const k of candidates) {
        const id = this.knownIds.get(k);
        if (id !== undefined) {
          ids.add(id);
          known = true;
        }
      }
      if (!known && input.alert.status === 'firing') ownUnknown.add(candidates[0] ?? '');
      const group = input.alert.groupKey;
      let g = 0;
      if (group !== null) {
        const key = groupKeys.get(group) ?? this.groupIndexKey(group);
        groupKeys.set(group, key);
        g = at(key);
      }
      return { k: candidates.map(at), g, ...alertArg(input) };
    });
    const fresh = Array.from({ length: ownUnknown.size }, () => newIncidentId(nowMs));
    const base = keys.length;
    for (let attempt = 1; ; attempt += 1) {
      // then a block of keys per expected incident and per new id, then the index keys those incidents hold
      keys.length = base;
      const block = (id: string): IncidentBlockArg => {
        const first = keys.length + 1;
        keys.push(...this.incidentKeys(id));
        return { id, at: first };
      };
      const incidents = [...ids].map(block);
      const freshBlocks = fresh.map(block);
      const held = new Set<string>();
      for (const id of ids) for (const k of this.knownKeys.get(id) ?? []) if (!position.has(k)) held.add(k);
      keys.push(...held);
      const reply = await runScript(this.redis, 'incidentApply', keys, {
        now: nowMs, reopenMs: this.options.reopenWindowMs, timelineMax: this.options.timelineMax,
        retentionMs: this.options.retentionMs, transitions: TRANSITIONS, incidents, fresh: freshBlocks, alerts,
      });
      if (reply[0] !== 'need') {
        const results = batch.map((_, i) => applyResult(reply, i * APPLY_REPLY));
        results.forEach((r, i) => {
          const own = keys[(alerts[i]?.k[0] ?? 0) - 1];
          if (r.incidentId === '' || own === undefined) return;
          this.knownIds.set(own, r.incidentId);
          const held = this.knownKeys.get(r.incidentId);
          if (!held?.includes(own)) this.knownKeys.set(r.incidentId, union(held, [own]));
        });
        return results;
      }
      if (attempt >= APPLY_ATTEMPTS) throw new Error(`incident store: alerts not applied after ${attempt} calls, the incidents they reach kept changing`);
      const need = JSON.parse(String(reply[1])) as { ids?: unknown; keys?: unknown; fresh?: unknown };
      for (let n = Number(need.fresh) || 0; n > 0; n -= 1) fresh.push(newIncidentId(nowMs));
      const heldBy = need.keys !== null && typeof need.keys === 'object' && !Array.isArray(need.keys) ? need.keys as Record<string, unknown> : {};
      for (const [id, more] of Object.entries(heldBy)) this.knownKeys.set(id, union(this.knownKeys.get(id), listOf(more)));
      const reached = listOf(need.ids);
      if (reached.length > 0) {
        // the index keys of the incidents reached, read now, so that the next call passes them all
        const pipe = this.redis.pipeline();
        for (const id of reached) pipe.smembers(`${this.incidentKey(id)}:keys`);
        const read = (await pipe.exec()) ?? [];
        reached.forEach((id, i) => {
          ids.add(id);
          const [err, members] = read[i] ?? [null, []];
          if (!err) this.knownKeys.set(id, union(this.knownKeys.get(id), listOf(members)));
        });
      }
    }
  }

  /** A state change by a person (`by`: Slack user id) or by the bot (`by`: a name like `runbook`). */
  async transition(id: string, event: IncidentEvent, by: string, nowMs: number, note = ''): Promise<TransitionResult> {
    let held = this.knownKeys.get(id) ?? [];
    let reply: (string | number)[] = [];
    for (let attempt = 1; attempt <= APPLY_ATTEMPTS; attempt += 1) {
      reply = await runScript(this.redis, 'incidentTransition', [...this.incidentKeys(id), this.activeKey, ...held], {
        id, event, by, now: nowMs, reopenMs: this.options.reopenWindowMs, retentionMs: this.options.retentionMs,
        timelineMax: this.options.timelineMax, note, transitions: TRANSITIONS,
      });
      if (reply[0] !== 'keys') break;
      // it would resolve, and the incident holds index keys not passed: pass them too
      held = union(held, reply.slice(1).map(String));
      this.knownKeys.set(id, held);
    }
    const outcome = String(reply[0]);
    if (outcome === 'keys') throw new Error(`incident store: ${id} not changed after ${APPLY_ATTEMPTS} calls, its index keys kept changing`);
    if (outcome === 'missing') return { outcome: 'missing' };
    const state = String(reply[1]);
    if (!isIncidentState(state)) return { outcome: 'missing' };
    return { outcome: outcome as 'changed' | 'same' | 'invalid', state, version: Number(reply[2]) };
  }

  /** Holds thread updates back until `untilMs` (0 lifts the silence). False when the incident is unknown. */
  async silence(id: string, untilMs: number, by: string, nowMs: number): Promise<boolean> {
    const key = this.incidentKey(id);
    const reply = await runScript(this.redis, 'incidentSilence', [key, `${key}:timeline`], {
      until: untilMs, by, now: nowMs, timelineMax: this.options.timelineMax,
    });
    return String(reply[0]) === 'changed';
  }

  /**
   * Sets (value) or clears (null) one caveat of an incident (incident-set-caveat.lua). Returns true when the root
   * must be edited (the caller asks for a flush); `note` becomes a thread line.
   */
  async setCaveat(id: string, kind: CaveatKind, value: TruncatedCaveat | StaleCaveat | null, nowMs: number, note = ''): Promise<boolean> {
    const key = this.incidentKey(id);
    const reply = await runScript(this.redis, 'incidentSetCaveat', [key, `${key}:timeline`], {
      field: `caveat_${kind}`, value: value === null ? '' : JSON.stringify(value), identity: caveatIdentity(kind, value),
      now: nowMs, timelineMax: this.options.timelineMax, note,
    });
    return Number(reply) > 0;
  }

  /** One voice per problem: whether `alert` is applied, dropped or hands over (incident-voice.lua; voices.ts). */
  async voice(voiceKey: string, alert: NormalizedAlert): Promise<{ kind: 'pass' | 'drop' | 'handover'; events?: readonly string[] }> {
    const reply = await runScript(this.redis, 'incidentVoice', [`${this.p}inc:voice:${voiceKey}`], {
      fp: alert.fingerprint, status: alert.status, event: JSON.stringify(alert), ttl: this.options.retentionMs, source: alert.source,
    });
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

  /** Claims the timeline entries not yet posted (incident-claim-flush.lua); null for an unknown incident. */
  async claimFlush(id: string, claimer: string): Promise<FlushClaim | null> {
    const key = this.incidentKey(id);
    const reply = await runScript(this.redis, 'incidentClaimFlush', [key, `${key}:timeline`], { claimer });
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
