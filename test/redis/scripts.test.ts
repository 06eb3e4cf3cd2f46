/**
 * Every Redis Lua script of the project, through the one loader (src/redis/scripts.ts):
 * (a) statically, each `redis.call` names its keys only from KEYS (no key built by concatenation, none from
 *     ARGV, no literal key);
 * (b) run on real Redis with Cluster-style keys (one `{hash tag}` per test), through the modules that use
 *     them, with MONITOR watching: every key a script touches was passed in that call's KEYS, and all keys of
 *     a call share one hash tag (one Cluster slot). The replies are checked too.
 */
import { createHash, randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { appendAudit, readAudit } from '../../src/audit/stream.js';
import { consumeApproval, planKey, rejectPlan, supersedePlan } from '../../src/approvals/consume.js';
import type { NormalizedAlert } from '../../src/incidents/alert.js';
import type { IncidentScope } from '../../src/incidents/grouping.js';
import { mergeIncidents } from '../../src/incidents/merge.js';
import { IncidentStore } from '../../src/incidents/store.js';
import { ChannelRate } from '../../src/outbox/rate.js';
import { SCRIPT_FILES, SCRIPT_SOURCES, SCRIPTS_DIR, runScript, type ScriptName } from '../../src/redis/scripts.js';
import { recordFailedAttempt } from '../../src/response/attempts.js';
import { claimSlot, planSlotKey } from '../../src/response/links.js';
import { reserveAction } from '../../src/response/safety.js';
import { waitFor } from '../support/poll.js';

// --- (a) static check -----------------------------------------------------------------------------------

/** The top-level arguments of the call whose `(` is at `open` in `src`. */
function callArgs(src: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = open + 1; i < src.length; i += 1) {
    const c = src[i]!;
    if (c === "'" || c === '"') {
      const end = src.indexOf(c, i + 1);
      cur += src.slice(i, end + 1);
      i = end;
      continue;
    }
    if ('([{'.includes(c)) depth += 1;
    if (')]}'.includes(c)) {
      if (depth === 0) {
        args.push(cur.trim());
        return args;
      }
      depth -= 1;
    }
    if (c === ',' && depth === 0) {
      args.push(cur.trim());
      cur = '';
      continue;
    }
    cur += c;
  }
  throw new Error(`unclosed redis.call at ${open}`);
}

/** Commands whose every argument is a key (as used here); the others take their key first. */
const ALL_KEYS = new Set(['DEL', 'EXISTS']);

/** What is wrong with each key argument of each `redis.call` of `src` (none: all from KEYS). */
function keyProblems(src: string): string[] {
  const problems: string[] = [];
  const code = src.split('\n').map((l) => l.replace(/--.*$/, '')).join('\n');
  for (const m of code.matchAll(/redis\.call\(/g)) {
    const [command, ...rest] = callArgs(code, m.index + m[0].length - 1);
    const name = (command ?? '').replace(/['"]/g, '').toUpperCase();
    const keys = ALL_KEYS.has(name) ? rest : rest.slice(0, 1);
    for (const key of keys) {
      if (key.includes('..')) problems.push(`${name} ${key}: a key built by concatenation`);
      else if (/ARGV/.test(key)) problems.push(`${name} ${key}: a key from ARGV`);
      else if (/['"]/.test(key)) problems.push(`${name} ${key}: a literal key`);
      else if (/cjson|redis\.call/.test(key)) problems.push(`${name} ${key}: a key from data`);
      else if (!/^(KEYS\[[^\]]+\]|[A-Za-z_]\w*(\.\w+)?|declared\([A-Za-z_]\w*\))$/.test(key)) problems.push(`${name} ${key}: not a KEYS entry`);
    }
  }
  return problems;
}

/** The hash tag of a key (Redis Cluster hashes only it), or the whole key. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('the Lua scripts, read statically', () => {
  const files = (dir: URL, under = ''): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(new URL(`${e.name}/`, dir), `${under}${e.name}/`) : e.name.endsWith('.lua') ? [`${under}${e.name}`] : []);
  const all = files(SCRIPTS_DIR);

  it('every .lua file is a script of the loader or an include of one; every script of the loader loads', () => {
    const scripts = new Set<string>(Object.values(SCRIPT_FILES).map((d) => d.file));
    const included = new Set<string>();
    for (const file of all) {
      for (const m of readFileSync(new URL(file, SCRIPTS_DIR), 'utf8').matchAll(/^--- @include "([^"]+)"/gm)) included.add(`${m[1]}.lua`);
    }
    expect(all.filter((f) => !scripts.has(f) && !included.has(f))).toEqual([]);
    expect(Object.keys(SCRIPT_SOURCES).sort()).toEqual(Object.keys(SCRIPT_FILES).sort());
    for (const src of Object.values(SCRIPT_SOURCES)) {
      expect(src).not.toMatch(/--- @include/);
      expect(src).toMatch(/cjson\.decode\(ARGV\[1\]\)/);
    }
  });

  it.each(all)('%s takes every key from KEYS', (file) => {
    const src = readFileSync(new URL(file, SCRIPTS_DIR), 'utf8');
    expect(src).toMatch(/redis\.call\(/);
    expect(keyProblems(src)).toEqual([]);
  });

  it('the check finds keys built inside a script', () => {
    expect(keyProblems("redis.call('HGET', P .. 'inc:' .. id, 'x')")).toHaveLength(1);
    expect(keyProblems("redis.call('SADD', ARGV[3], 'x')")).toHaveLength(1);
    expect(keyProblems("redis.call('DEL', KEYS[1], h .. ':firing')")).toHaveLength(1);
    expect(keyProblems("redis.call('GET', 'fixed')")).toHaveLength(1);
    expect(keyProblems("redis.call('SET', KEYS[2], ARGV[1] .. 'x') redis.call('GET', inc.h)")).toEqual([]);
  });
});

// --- (b) each script on Redis, watched ----------------------------------------------------------------

interface Watched {
  /** Script name by the SHA1 ioredis runs it by. */
  readonly ran: Set<ScriptName>;
  readonly problems: string[];
  /** Runs `work`, then checks what the scripts it ran touched. */
  watch<T>(work: () => Promise<T>): Promise<T>;
}

const SHA_TO_NAME = new Map<string, ScriptName>(
  (Object.keys(SCRIPT_SOURCES) as ScriptName[]).map((n) => [createHash('sha1').update(SCRIPT_SOURCES[n]).digest('hex'), n]),
);
/** A script's text as letters and digits only (MONITOR shows it escaped when ioredis sends it whole by EVAL). */
const lettersOf = (s: string): string => s.replace(/\\x[0-9a-f]{2}|\\[ntr]|[^\x20-\x7e]|[^A-Za-z0-9]/g, '');
const NAME_BY_SOURCE = new Map<string, ScriptName>((Object.keys(SCRIPT_SOURCES) as ScriptName[]).map((n) => [lettersOf(SCRIPT_SOURCES[n]), n]));

let redis: Redis;
let monitorClient: Redis;
let watched: Watched;

beforeAll(async () => {
  redis = new Redis(inject('redisUrl'), { lazyConnect: true });
  await redis.connect();
  monitorClient = new Redis(inject('redisUrl'), { lazyConnect: true });
  await monitorClient.connect();
  const monitor = await monitorClient.monitor();
  const events: { args: string[]; source: string }[] = [];
  monitor.on('monitor', (_time: string, args: string[], source: string) => events.push({ args, source }));
  const ran = new Set<ScriptName>();
  const problems: string[] = [];
  watched = {
    ran,
    problems,
    async watch<T>(work: () => Promise<T>): Promise<T> {
      events.length = 0;
      const result = await work();
      const marker = `done-${randomUUID()}`;
      await redis.echo(marker);
      await waitFor(() => events.some((e) => e.args[0]?.toLowerCase() === 'echo' && e.args[1] === marker), { timeoutMs: 5_000 });
      // only this test's connection: other test files share the server (a script's commands follow its call)
      const own = `${redis.stream.localAddress}:${redis.stream.localPort}`;
      let mine = false;
      let declared: Set<string> | null = null;
      let script: string = '';
      for (const e of events) {
        const cmd = (e.args[0] ?? '').toUpperCase();
        if (e.source !== 'lua') {
          mine = e.source === own;
          if (!mine || (cmd !== 'EVALSHA' && cmd !== 'EVAL')) continue;
          const name = cmd === 'EVALSHA' ? SHA_TO_NAME.get(e.args[1] ?? '') : NAME_BY_SOURCE.get(lettersOf(e.args[1] ?? ''));
          declared = null;
          script = name ?? `an unknown script (${cmd})`;
          if (!name) continue;
          ran.add(name);
          script = name;
          const keys = e.args.slice(3, 3 + Number(e.args[2]));
          declared = new Set(keys);
          if (new Set(keys.map(hashTag)).size !== 1) problems.push(`${name}: keys in more than one slot: ${keys.join(' ')}`);
          continue;
        }
        if (!mine) continue;
        const touched = ALL_KEYS.has(cmd) ? e.args.slice(1) : e.args.slice(1, 2);
        for (const key of touched) {
          if (!declared?.has(key)) problems.push(`${script}: ${cmd} ${key} not in KEYS`);
        }
      }
      return result;
    },
  };
});

afterAll(async () => {
  monitorClient.disconnect();
  redis.disconnect();
});

const T0 = Date.parse('2025-01-01T10:00:00Z');
const tagged = (): string => `{t-${randomUUID().slice(0, 8)}}:`;

function alert(fingerprint: string, status: 'firing' | 'resolved', over: Partial<NormalizedAlert> = {}): NormalizedAlert {
  return {
    source: 'alertmanager', kind: 'alertmanager', fingerprint, status,
    labels: { alertname: 'HighErrorRate', runtime: 'prod', agent_type: 'ChatAgent', severity: 'critical' },
    annotations: { summary: 'ChatAgent error rate 12 %' },
    startsAt: new Date(T0).toISOString(), endsAt: null, generatorURL: null, groupKey: 'g1', ...over,
  };
}

function scope(own: string, ...others: string[]): IncidentScope {
  return { runtime: 'prod', agent: 'ChatAgent', key: own, candidateKeys: [own, ...others], cascade: [], groupValues: {} };
}

describe('the Lua scripts on Redis, with Cluster-style keys', () => {
  it('the incident scripts: apply, join by another key, resolve, refire, transition, silence, caveat, flush, voice, merge', async () => {
    const p = tagged();
    const store = new IncidentStore(redis, { keyPrefix: p, reopenWindowMs: 60_000 });
    const one = { scope: scope('k1'), severity: 'critical' as const, channel: 'C1' };
    const [opened, joined] = await watched.watch(() => store.applyAlerts([
      { ...one, alert: alert('fp1', 'firing'), receivedAt: T0 },
      // another scope key that leads to the same incident (its cascade): the incident then holds two index keys
      { ...one, scope: scope('k2', 'k1'), alert: alert('fp2', 'firing'), receivedAt: T0 },
    ], T0));
    expect(opened).toMatchObject({ created: true, changed: true, firing: 1, total: 1 });
    expect(joined).toMatchObject({ incidentId: opened!.incidentId, created: false, firing: 2, total: 2 });
    const id = opened!.incidentId;
    expect(await redis.smembers(`${p}inc:${id}:keys`)).toEqual(expect.arrayContaining([`${p}inc:open:k1`, `${p}inc:open:k2`]));

    // a second store (another worker: it knows nothing) reaches the incident through k2 only and resolves it:
    // the script asks for the incident and for k1, which it must expire too
    const other = new IncidentStore(redis, { keyPrefix: p, reopenWindowMs: 60_000 });
    const resolved = await watched.watch(() => other.applyAlerts([
      { ...one, scope: scope('k2'), alert: alert('fp1', 'resolved'), receivedAt: T0 + 1 },
      { ...one, scope: scope('k2'), alert: alert('fp2', 'resolved'), receivedAt: T0 + 1 },
    ], T0 + 1));
    expect(resolved.map((r) => r.incidentId)).toEqual([id, id]);
    expect(resolved[1]).toMatchObject({ resolvedNow: true, state: 'resolved', firing: 0 });
    expect(await redis.pttl(`${p}inc:open:k1`)).toBeGreaterThan(0);

    // a third store refires within the reopen window: the incident reopens and its keys persist again
    const third = new IncidentStore(redis, { keyPrefix: p, reopenWindowMs: 60_000 });
    const [refired] = await watched.watch(() => third.applyAlerts([{ ...one, alert: alert('fp1', 'firing', { startsAt: new Date(T0 + 5).toISOString() }), receivedAt: T0 + 5 }], T0 + 5));
    expect(refired).toMatchObject({ incidentId: id, reopened: true, state: 'open' });
    expect(await redis.pttl(`${p}inc:open:k1`)).toBe(-1);
    // a resolution for no known incident changes nothing
    const [none] = await watched.watch(() => third.applyAlerts([{ ...one, scope: scope('k9'), alert: alert('fp9', 'resolved') }], T0 + 6));
    expect(none!.incidentId).toBe('');

    expect(await watched.watch(() => store.transition(id, 'acknowledge', 'U1', T0 + 10))).toMatchObject({ outcome: 'changed', state: 'acknowledged' });
    // a fresh store resolves by hand: the script asks for the incident's index keys first
    const fourth = new IncidentStore(redis, { keyPrefix: p, reopenWindowMs: 60_000 });
    expect(await watched.watch(() => fourth.transition(id, 'resolve', 'U1', T0 + 11, 'fixed'))).toMatchObject({ outcome: 'changed', state: 'resolved' });
    expect(await redis.pttl(`${p}inc:open:k2`)).toBeGreaterThan(0);
    expect(await watched.watch(() => store.transition(id, 'acknowledge', 'U1', T0 + 12))).toMatchObject({ outcome: 'invalid' });
    expect(await watched.watch(() => store.transition('inc-none', 'resolve', 'U1', T0 + 12))).toEqual({ outcome: 'missing' });

    expect(await watched.watch(() => store.silence(id, T0 + 60_000, 'U2', T0 + 13))).toBe(true);
    expect(await watched.watch(() => store.setCaveat(id, 'truncated', { count: 5, reason: 'unreachable', since: T0 }, T0 + 14, 'not all shown'))).toBe(true);
    expect(await watched.watch(() => store.setCaveat(id, 'truncated', { count: 5, reason: 'unreachable', since: T0 + 1 }, T0 + 15))).toBe(false);
    const claim = await watched.watch(() => store.claimFlush(id, 'w1'));
    expect(claim!.to).toBeGreaterThan(claim!.from);
    expect(claim!.entries.map((e) => e.k)).toEqual(expect.arrayContaining(['firing', 'resolved', 'reopened', 'state', 'silence', 'caveat']));
    expect(await watched.watch(() => store.claimFlush('inc-none', 'w1'))).toBeNull();

    expect(await watched.watch(() => store.voice('v1', alert('fp1', 'firing')))).toEqual({ kind: 'pass' });
    expect(await watched.watch(() => store.voice('v1', alert('fp5', 'firing', { source: 'monitor' })))).toEqual({ kind: 'drop' });

    // merge: two open incidents of one channel
    const [a, b] = await watched.watch(() => store.applyAlerts([
      { ...one, scope: scope('m1'), alert: alert('fa', 'firing', { groupKey: 'ga' }) },
      { ...one, scope: scope('m2'), alert: alert('fb', 'firing', { groupKey: 'gb' }) },
    ], T0 + 20));
    const merged = await watched.watch(() => mergeIncidents(redis, { keyPrefix: p, timelineMax: 500, retentionMs: 60_000 },
      { sourceId: a!.incidentId, targetId: b!.incidentId, by: 'U3', nowMs: T0 + 21, targetRootTs: '1.2' }));
    expect(merged).toEqual({ outcome: 'merged', moved: 1, firing: 2, total: 2 });
    expect(await redis.get(`${p}inc:open:m1`)).toBe(b!.incidentId);
    expect(await store.firingInGroup('ga')).toEqual([{ incidentId: b!.incidentId, fingerprint: 'fa' }]);
    expect(await watched.watch(() => mergeIncidents(redis, { keyPrefix: p, timelineMax: 500, retentionMs: 60_000 },
      { sourceId: a!.incidentId, targetId: b!.incidentId, by: 'U3', nowMs: T0 + 22, targetRootTs: null }))).toEqual({ outcome: 'refused', reason: 'resolved' });
  });

  it('the plan, response, audit, outbox, lease and lock scripts', async () => {
    const p = tagged();
    const now = T0;
    const key = planKey(p, 'pl-1');
    const stored = await watched.watch(() => runScript(redis, 'planStore', [key], { plan: '{"id":"pl-1"}', hash: 'h1', required: 2, expiresAt: now + 60_000, now, retention: 1_000 }));
    expect(stored).toEqual(['stored']);
    expect(await watched.watch(() => consumeApproval(redis, p, 'pl-1', 'h0', 'U1', now))).toEqual({ kind: 'stale' });
    expect(await watched.watch(() => consumeApproval(redis, p, 'pl-1', 'h1', 'U1', now))).toMatchObject({ kind: 'recorded', required: 2 });
    expect(await watched.watch(() => consumeApproval(redis, p, 'pl-1', 'h1', 'U1', now))).toEqual({ kind: 'same_approver', required: 2 });
    expect(await watched.watch(() => consumeApproval(redis, p, 'pl-1', 'h1', 'U2', now + 1))).toMatchObject({ kind: 'approved' });
    expect(await watched.watch(() => rejectPlan(redis, p, 'pl-1', 'h1', 'U3', now + 2))).toEqual({ kind: 'decided', status: 'approved', by: 'U2', at: now + 1 });
    await runScript(redis, 'planStore', [planKey(p, 'pl-2')], { plan: '{}', hash: 'h2', required: 1, expiresAt: now + 60_000, now, retention: 1_000 });
    expect(await watched.watch(() => supersedePlan(redis, p, 'pl-2', 'pl-1', now))).toBe(true);
    expect(await watched.watch(() => supersedePlan(redis, p, 'pl-2', 'pl-1', now))).toBe(false);
    expect(await watched.watch(() => rejectPlan(redis, p, 'pl-none', 'h', 'U3', now))).toEqual({ kind: 'missing' });

    const slot = planSlotKey(p, 'C1', 'f1');
    expect(await watched.watch(() => claimSlot(redis, slot, '', 'pl-1', 60_000))).toBe('pl-1');
    expect(await watched.watch(() => claimSlot(redis, slot, '', 'pl-2', 60_000))).toBe('pl-1');

    const opts = { limit: 1, windowMs: 60_000 };
    expect(await watched.watch(() => reserveAction(redis, p, 'prod', 'a1', now, opts))).toEqual({ open: false, count: 1, repeated: false });
    expect(await watched.watch(() => reserveAction(redis, p, 'prod', 'a1', now + 1, opts))).toEqual({ open: false, count: 1, repeated: true });
    expect(await watched.watch(() => reserveAction(redis, p, 'prod', 'a2', now + 2, opts))).toEqual({ open: true, count: 1, limit: 1, retryAt: now + 60_000 });

    const attempt = { planId: 'pl-1', runbookId: 'rb', tried: ['isolate ToolAgent'], outcome: 'checks failed', at: new Date(now).toISOString() };
    expect(await watched.watch(() => recordFailedAttempt(redis, p, 'f1', attempt, now, 60_000))).toBe(1);
    expect(await watched.watch(() => recordFailedAttempt(redis, p, 'f1', attempt, now + 1, 60_000))).toBe(1);

    const auditId = await watched.watch(() => appendAudit(redis, p, { type: 'approval.approved', at: new Date(now).toISOString(), actor: 'U2', incident_id: 'inc-1', plan_id: 'pl-1', data: { n: 1 } }));
    const forPlan = await readAudit(redis, p, { subject: 'pl-1' });
    expect(forPlan).toHaveLength(1);
    expect(forPlan[0]).toMatchObject({ id: auditId, type: 'approval.approved', actor: 'U2', incident_id: 'inc-1', data: { n: 1 } });

    const rate = new ChannelRate(redis, p, { ratePerS: 1, burst: 1 });
    expect(await watched.watch(() => rate.reserve('C1', now))).toBe(0);
    expect(await watched.watch(() => rate.reserve('C1', now + 100))).toBe(900);
    await watched.watch(() => rate.pause('C1', now + 5_000, now + 100));
    expect(await watched.watch(() => rate.reserve('C1', now + 200))).toBe(4_800);

    // a coalesced edit sent: its content is dropped only while nothing newer was written
    const [seqKey, latestKey, editedKey] = [`${p}outbox:coalesce:r1`, `${p}outbox:latest:r1`, `${p}outbox:edited:r1`];
    await redis.set(seqKey, '2');
    await redis.set(latestKey, '{"text":"v2"}');
    expect(await watched.watch(() => runScript(redis, 'outboxEdited', [seqKey, latestKey, editedKey], { seq: 1, ttl: 60 }))).toBe(0);
    expect(await redis.get(latestKey)).toBe('{"text":"v2"}');
    expect(await watched.watch(() => runScript(redis, 'outboxEdited', [seqKey, latestKey, editedKey], { seq: 2, ttl: 60 }))).toBe(1);
    expect([await redis.get(latestKey), await redis.get(editedKey)]).toEqual([null, '2']);
    // a post's runs: the first claims it; another within the window waits the rest of it; after it, claims it and
    // learns when the earlier run sent it (its answer missing: look first)
    const attemptKey = `${p}outbox:attempt:j1`;
    expect(await watched.watch(() => runScript(redis, 'outboxPostAttempt', [attemptKey], { now, window: 5_000, ttl: 60 }))).toEqual([0, 0]);
    expect(await redis.hgetall(attemptKey)).toEqual({ claim: String(now), sent: String(now) });
    expect(await watched.watch(() => runScript(redis, 'outboxPostAttempt', [attemptKey], { now: now + 1_000, window: 5_000, ttl: 60 }))).toEqual([4_000, 0]);
    expect(await watched.watch(() => runScript(redis, 'outboxPostAttempt', [attemptKey], { now: now + 5_000, window: 5_000, ttl: 60 }))).toEqual([0, now]);
    expect(await redis.hgetall(attemptKey)).toEqual({ claim: String(now + 5_000), sent: String(now) });

    const lease = `${p}inc:trunc:x:lease`;
    expect(await watched.watch(() => runScript(redis, 'leaseTake', [lease], { owner: 'j1', ttl: 60_000 }))).toBe(1);
    expect(await watched.watch(() => runScript(redis, 'leaseTake', [lease], { owner: 'j2', ttl: 60_000 }))).toBe(0);
    expect(await watched.watch(() => runScript(redis, 'lockRelease', [lease], { owner: 'j2' }))).toBe(0);
    expect(await watched.watch(() => runScript(redis, 'lockRelease', [lease], { owner: 'j1' }))).toBe(1);
    // alert turns: an exact resend keeps the turn, any other content takes the next one
    const turnKeys = [`${p}alert:turn:a`, `${p}alert:turn:b`];
    expect(await watched.watch(() => runScript(redis, 'alertTurns', turnKeys, { ids: ['al-f', 'al-x'], ttl: 60_000 }))).toEqual([1, 1]);
    expect(await watched.watch(() => runScript(redis, 'alertTurns', turnKeys, { ids: ['al-f', 'al-x'], ttl: 60_000 }))).toEqual([1, 1]);
    expect(await watched.watch(() => runScript(redis, 'alertTurns', turnKeys, { ids: ['al-r', 'al-x'], ttl: 60_000 }))).toEqual([2, 1]);
    expect(await watched.watch(() => runScript(redis, 'alertTurns', turnKeys, { ids: ['al-f', 'al-x'], ttl: 60_000 }))).toEqual([3, 1]);
    expect(await redis.pttl(turnKeys[0]!)).toBeGreaterThan(0);
    const state = `${p}inc:trunc:x`;
    expect(await watched.watch(() => runScript(redis, 'truncationRecord', [state], { count: 250, at: now, ttl: 60_000 }))).toBe(250);
    expect(await watched.watch(() => runScript(redis, 'truncationRecord', [state], { count: 7, at: now - 1, ttl: 60_000 }))).toBe(250);
  });

  it('the watch sees a key a script was not given', async () => {
    const before = watched.problems.length;
    const p = tagged();
    await watched.watch(() => redis.eval("return redis.call('GET', KEYS[1] .. ':other')", 1, `${p}k`));
    expect(watched.problems.splice(before)).toEqual([expect.stringMatching(/GET \{t-\w+\}:k:other not in KEYS$/)]);
  });

  it('every script ran, each touching only keys it was given, all in one slot', () => {
    expect([...watched.ran].sort()).toEqual(Object.keys(SCRIPT_FILES).sort());
    expect(watched.problems).toEqual([]);
  });

  it('text no JSON decoder reads (a lone UTF-16 surrogate) goes over as U+FFFD, as a plain argument did', async () => {
    const p = tagged();
    expect(await runScript(redis, 'planSlotClaim', [`${p}slot`], { expected: '', plan: 'pl-\ud800x', ttl: 1_000 })).toBe('pl-\ufffdx');
  });
});
