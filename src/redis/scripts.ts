/**
 * The project's Redis Lua scripts, all behind this one loader (docs/internals.md "Redis scripts").
 *
 * - Each script is a file in src/redis/scripts/<name>.lua, read once when this module loads (relative to
 *   this module, so it works from the source tree that tsx runs). `--- @include "include/<file>"` pulls in a
 *   shared part (as BullMQ's scripts do).
 * - Each is registered once per client with ioredis `defineCommand`: ioredis runs it by EVALSHA and sends
 *   the script itself only when Redis does not know it yet (NOSCRIPT, e.g. after a restart).
 * - Every key a script touches is passed in KEYS (Redis Cluster routes by them): a script never builds a key
 *   from a prefix, and a set of keys read from Redis (an incident's open-index keys) is passed too — the
 *   script answers which ones are missing before it writes anything, and the caller calls again. Callers
 *   build all keys of one call under the configured prefix, whose `{hash tag}` puts them in one slot.
 * - The arguments are one JSON value in ARGV[1] (`cjson.decode` in Lua), typed per script below.
 *
 * test/redis/scripts.test.ts checks every file statically (keys only from KEYS) and runs every script on
 * Cluster-style keys, watching with MONITOR that each touches only the keys it was given.
 */
import { readFileSync } from 'node:fs';
import type { RedisClient } from './connect.js';

/** Where the `.lua` files are. */
export const SCRIPTS_DIR = new URL('./scripts/', import.meta.url);

/** Number of KEYS of each script; `variable`: the caller passes any number (always at least one). */
export const SCRIPT_FILES = {
  incidentApply: { file: 'incident-apply.lua', keys: 'variable' },
  incidentTransition: { file: 'incident-transition.lua', keys: 'variable' },
  incidentSilence: { file: 'incident-silence.lua', keys: 2 },
  incidentClaimFlush: { file: 'incident-claim-flush.lua', keys: 2 },
  incidentSetCaveat: { file: 'incident-set-caveat.lua', keys: 2 },
  incidentVoice: { file: 'incident-voice.lua', keys: 1 },
  incidentMerge: { file: 'incident-merge.lua', keys: 'variable' },
  truncationRecord: { file: 'truncation-record.lua', keys: 1 },
  leaseTake: { file: 'lease-take.lua', keys: 1 },
  lockRelease: { file: 'lock-release.lua', keys: 1 },
  planSlotClaim: { file: 'plan-slot-claim.lua', keys: 1 },
  breakerReserve: { file: 'breaker-reserve.lua', keys: 1 },
  attemptsRecord: { file: 'attempts-record.lua', keys: 1 },
  auditAppend: { file: 'audit-append.lua', keys: 'variable' },
  planStore: { file: 'plan-store.lua', keys: 1 },
  planApprove: { file: 'plan-approve.lua', keys: 1 },
  planReject: { file: 'plan-reject.lua', keys: 1 },
  planSupersede: { file: 'plan-supersede.lua', keys: 1 },
  rateReserve: { file: 'rate-reserve.lua', keys: 1 },
  ratePause: { file: 'rate-pause.lua', keys: 1 },
  outboxEdited: { file: 'outbox-edited.lua', keys: 3 },
  outboxPostAttempt: { file: 'outbox-post-attempt.lua', keys: 1 },
  alertTurns: { file: 'alert-turns.lua', keys: 'variable' },
} as const satisfies Record<string, { readonly file: string; readonly keys: number | 'variable' }>;

export type ScriptName = keyof typeof SCRIPT_FILES;

/** One alert of an `incidentApply` call (see incident-apply.lua). */
export interface ApplyAlertArg {
  /** KEYS positions (1-based) of its candidate open-index keys, own key first. */
  readonly k: readonly number[];
  /** KEYS position of its group-index key, 0 = none. */
  readonly g: number;
  readonly fp: string;
  readonly status: 'firing' | 'resolved';
  readonly s?: number | undefined;
  readonly e?: number | undefined;
  readonly sev: string;
  readonly rank: number;
  readonly d: string;
  readonly c: { readonly key: string; readonly title: string; readonly runtime: string; readonly agent: string; readonly channel: string; readonly source: string };
  readonly agent: string;
  readonly t: string;
  readonly h: string;
  readonly r?: number | undefined;
}

/** An incident's (or a new id's) block of keys in an `incidentApply` call. */
export interface IncidentBlockArg {
  readonly id: string;
  /** KEYS position (1-based) of its first key. */
  readonly at: number;
}

type Transitions = Readonly<Record<string, Readonly<Record<string, string>>>>;

/** The JSON argument of each script (ARGV[1]); the header of each `.lua` file says what it means. */
export interface ScriptArgs {
  incidentApply: {
    now: number; reopenMs: number; timelineMax: number; retentionMs: number; transitions: Transitions;
    incidents: readonly IncidentBlockArg[]; fresh: readonly IncidentBlockArg[]; alerts: readonly ApplyAlertArg[];
  };
  incidentTransition: {
    id: string; event: string; by: string; now: number; reopenMs: number; retentionMs: number; timelineMax: number;
    note: string; transitions: Transitions;
  };
  incidentSilence: { until: number; by: string; now: number; timelineMax: number };
  incidentClaimFlush: { claimer: string };
  incidentSetCaveat: { field: string; value: string; identity: string; now: number; timelineMax: number; note: string };
  incidentVoice: { fp: string; status: string; event: string; ttl: number; source: string };
  incidentMerge: { src: string; dst: string; by: string; now: number; timelineMax: number; retentionMs: number; rootTs: string; groups: number };
  truncationRecord: { count: number; at: number; ttl: number };
  leaseTake: { owner: string; ttl: number };
  lockRelease: { owner: string };
  planSlotClaim: { expected: string; plan: string; ttl: number };
  breakerReserve: { now: number; window: number; limit: number; member: string };
  attemptsRecord: { now: number; window: number; attempt: string; plan: string };
  auditAppend: { maxlen: number; fields: readonly string[]; ttl: number };
  planStore: { plan: string; hash: string; required: number; expiresAt: number; now: number; retention: number };
  planApprove: { hash: string; user: string; now: number; required?: number | undefined };
  planReject: { hash: string; user: string; now: number };
  planSupersede: { by: string; now: number };
  rateReserve: { now: number; interval: number; burst: number };
  ratePause: { until: number; ttl: number };
  outboxEdited: { seq: number; ttl: number };
  outboxPostAttempt: { now: number; window: number; ttl: number };
  alertTurns: { ids: readonly string[]; ttl: number };
}

type Flat = (string | number)[];

/** What each script answers (as ioredis hands Lua replies over: strings, integers, arrays). */
export interface ScriptReplies {
  incidentApply: Flat;
  incidentTransition: Flat;
  incidentSilence: Flat;
  incidentClaimFlush: Flat;
  incidentSetCaveat: number;
  incidentVoice: string[];
  incidentMerge: Flat;
  truncationRecord: number | null;
  leaseTake: number;
  lockRelease: number;
  planSlotClaim: string;
  breakerReserve: number[];
  attemptsRecord: number;
  auditAppend: string;
  planStore: string[];
  planApprove: string[];
  planReject: string[];
  planSupersede: number;
  rateReserve: number;
  ratePause: number;
  outboxEdited: number;
  outboxPostAttempt: [number, number];
  alertTurns: number[];
}

const INCLUDE = /^--- @include "([^"]+)"\s*$/gm;

/** A script's source with its includes resolved (each file is read once, at module load). */
function loadSource(file: string, seen: ReadonlySet<string> = new Set()): string {
  if (seen.has(file)) throw new Error(`Lua include cycle at ${file}`);
  const text = readFileSync(new URL(file, SCRIPTS_DIR), 'utf8');
  return text.replace(INCLUDE, (_line, name: string) => loadSource(`${name}.lua`, new Set([...seen, file])));
}

/** Every script's source (includes resolved), by name. */
export const SCRIPT_SOURCES: Readonly<Record<ScriptName, string>> = Object.freeze(
  Object.fromEntries(Object.entries(SCRIPT_FILES).map(([name, def]) => [name, loadSource(def.file)])) as Record<ScriptName, string>,
);

/** A lone UTF-16 surrogate, as JSON.stringify escapes it (not after an escaped backslash). */
const LONE_SURROGATE = /(?<!\\)((?:\\\\)*)\\u[dD][89abcdefABCDEF][0-9a-fA-F]{2}/g;

/**
 * `json` with lone surrogates as U+FFFD, which Lua's cjson cannot decode: the same text Redis received when
 * a string went over as a plain argument (Node writes them as U+FFFD in UTF-8).
 */
export function wellFormed(json: string): string {
  return json.includes('\\u') ? json.replace(LONE_SURROGATE, '$1\\ufffd') : json;
}

type Client = RedisClient;
type Command = (...args: (string | number)[]) => Promise<unknown>;

/** ioredis command names: prefixed, so that none shadows a Redis command or another library's script. */
const commandName = (name: ScriptName): string => `aops_${name}`;

const defined = new WeakSet<Client>();

/** Registers every script on `redis` (once per client; ioredis loads each into Redis on first use). */
function define(redis: Client): void {
  if (defined.has(redis)) return;
  for (const [name, def] of Object.entries(SCRIPT_FILES) as [ScriptName, (typeof SCRIPT_FILES)[ScriptName]][]) {
    const lua = SCRIPT_SOURCES[name];
    redis.defineCommand(commandName(name), def.keys === 'variable' ? { lua } : { lua, numberOfKeys: def.keys });
  }
  defined.add(redis);
}

/**
 * Runs script `name` with `keys` (all in one Cluster slot: built under the hash-tagged prefix) and its
 * JSON argument.
 */
export async function runScript<N extends ScriptName>(redis: Client, name: N, keys: readonly string[], args: ScriptArgs[N]): Promise<ScriptReplies[N]> {
  define(redis);
  const def = SCRIPT_FILES[name];
  if (def.keys === 'variable' ? keys.length === 0 : keys.length !== def.keys) {
    throw new Error(`Redis script ${name}: ${def.keys} keys expected, ${keys.length} given`);
  }
  const command = (redis as unknown as Record<string, Command>)[commandName(name)]!;
  const json = wellFormed(JSON.stringify(args));
  const reply = def.keys === 'variable' ? command.call(redis, keys.length, ...keys, json) : command.call(redis, ...keys, json);
  return (await reply) as ScriptReplies[N];
}
