/**
 * Property-based tests (fast-check) of the button `value` codecs: what our encoders put in a button comes
 * back as the same job (roundtrip), and any string a client could send instead — a forged, truncated or
 * hostile value, or an unknown action id — is a coded `ACTION_*` / `RUNTIME_UNKNOWN` refusal, never a throw
 * and never a job. Also the catch-all's payload reader and its ephemeral for unknown action ids.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OpsError } from '../../src/errors.js';
import { AGENT_TYPE_RE, RUNTIME_NAME_RE } from '../../src/identifiers.js';
import { DIAG_ACTIONS, diagFollowUps } from '../../src/diagnosis/follow-ups.js';
import { GUIDE_ACTION_PREFIX, type GuideButtonValue } from '../../src/diagnosis/guide-follow-ups.js';
import { PAYLOADS } from '../../src/queues/payloads.js';
import { INCIDENT_ACTION_IDS, type IncidentButtonValue } from '../../src/slack/blocks/incident.js';
import { decodeButtonValue, encodeButtonValue } from '../../src/slack/blocks/plan.js';
import type { EnqueueRequest } from '../../src/slack/commands/index.js';
import { diagActionJob } from '../../src/slack/listeners/diag-actions.js';
import { guideActionJob } from '../../src/slack/listeners/guide-actions.js';
import { incidentActionJob } from '../../src/slack/listeners/incident-actions.js';
import { interactionPayload, malformedReason, unknownActionText } from '../../src/slack/listeners/unknown.js';

const RUNS = 150;
const where = { channel: 'C0FUZZ', user: 'U0FUZZ', thread_ts: '1712345678.000100', requestId: 'fuzz-1', now: new Date('2026-01-01T00:00:00Z') };
const RUNTIMES = ['prod', 'staging'];

/** Strings a forged click could carry: arbitrary text, JSON of the wrong shape, near-misses of ours. */
const forged = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.json({ maxDepth: 3 }),
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify({ p: v, h: v, i: v, a: v, r: v, t: v, s: v })),
  fc.constantFrom('', 'null', '[]', '{}', '{"p":"pl-x"}', '{"i":"inc-"}', '{"t":"logs","r":"prod","w":-1}', '{"t":"trace","r":"prod","m":"a b"}', '{"a":"<!channel>","r":"prod"}', 'x'.repeat(3_000)),
);

function expectJobValid(job: EnqueueRequest): void {
  const parsed = PAYLOADS[job.queue].safeParse(job.payload);
  expect(parsed.success, parsed.success ? '' : parsed.error.message).toBe(true);
}

describe('fuzz: plan button values (src/slack/blocks/plan.ts)', () => {
  const planId = fc.stringMatching(/^pl-[a-z0-9-]{1,60}$/);
  const hash = fc.stringMatching(/^[a-f0-9]{64}$/);

  it('encode → decode is the identity', () => {
    fc.assert(fc.property(planId, hash, (p, h) => {
      expect(decodeButtonValue(encodeButtonValue(p, h))).toEqual({ p, h });
    }), { numRuns: RUNS });
  });

  it('any other string decodes to null or to a well-formed value, never throws', () => {
    fc.assert(fc.property(fc.option(forged, { nil: undefined }), (v) => {
      const d = decodeButtonValue(v);
      if (d !== null) {
        expect(d.p).toMatch(/^pl-[a-z0-9-]{1,60}$/);
        expect(d.h).toMatch(/^[a-f0-9]{64}$/);
      }
    }), { numRuns: RUNS });
  });
});

describe('fuzz: diag: buttons (src/diagnosis/follow-ups.ts ↔ src/slack/listeners/diag-actions.ts)', () => {
  it('every button diagFollowUps makes becomes a valid job for the same agent and runtime', () => {
    fc.assert(fc.property(fc.stringMatching(AGENT_TYPE_RE), fc.constantFrom(...RUNTIMES), fc.constantFrom('healthy', 'degraded', 'failing', 'unreachable') as fc.Arbitrary<'healthy'>, (agent, runtime, verdict) => {
      for (const b of diagFollowUps(agent, runtime, verdict)) {
        const job = diagActionJob(b.action_id, b.value, where, RUNTIMES);
        if (job instanceof OpsError) throw job;
        expectJobValid(job);
        expect(job.payload).toMatchObject({ agent, runtime });
      }
    }), { numRuns: RUNS });
  });

  it('a forged value or action id is a coded refusal', () => {
    fc.assert(fc.property(fc.constantFrom(...Object.values(DIAG_ACTIONS), 'diag:nope', 'diag:'), forged, (id, v) => {
      const job = diagActionJob(id, v, where, RUNTIMES);
      if (job instanceof OpsError) expect(['ACTION_PAYLOAD_INVALID', 'ACTION_UNKNOWN', 'RUNTIME_UNKNOWN']).toContain(job.code);
      else expectJobValid(job);
    }), { numRuns: RUNS });
  });
});

describe('fuzz: guide: buttons (src/diagnosis/guide-follow-ups.ts ↔ src/slack/listeners/guide-actions.ts)', () => {
  const agent = fc.stringMatching(AGENT_TYPE_RE);
  const r = fc.constantFrom(...RUNTIMES);
  const value: fc.Arbitrary<GuideButtonValue> = fc.oneof(
    fc.record({ t: fc.constantFrom('health' as const, 'snapshot' as const), r }),
    fc.record({ t: fc.constant('perf' as const), r, a: agent }, { requiredKeys: ['t', 'r'] }),
    fc.record({ t: fc.constant('inspect' as const), r, a: agent }),
    fc.record({ t: fc.constant('logs' as const), r, a: agent, w: fc.integer({ min: 1, max: 86_400 }) }, { requiredKeys: ['t', 'r'] }),
    fc.record({ t: fc.constant('message' as const), r, f: agent, o: agent }),
    fc.record({ t: fc.constant('trace' as const), r, m: fc.stringMatching(/^[\w\-.:/]{1,200}$/) }),
  );

  it('a value as the report encodes it (compact JSON) becomes a valid job of that tool', () => {
    fc.assert(fc.property(value, (v) => {
      const job = guideActionJob(`${GUIDE_ACTION_PREFIX}${v.t}`, JSON.stringify(v), where, RUNTIMES);
      if (job instanceof OpsError) throw job;
      expectJobValid(job);
      expect(job.payload).toMatchObject({ tool: v.t, runtime: v.r });
    }), { numRuns: RUNS });
  });

  it('a forged value, an unknown runtime or a foreign action id is a coded refusal', () => {
    const runtimeName = fc.stringMatching(RUNTIME_NAME_RE);
    const other = fc.tuple(value, runtimeName).map(([v, rt]) => JSON.stringify({ ...v, r: rt }));
    fc.assert(fc.property(fc.constantFrom('guide:logs', 'guide:trace', 'guide:x', 'diag:logs', ''), fc.oneof(forged, other), (id, v) => {
      const job = guideActionJob(id, v, where, RUNTIMES);
      if (job instanceof OpsError) expect(['ACTION_PAYLOAD_INVALID', 'ACTION_UNKNOWN', 'RUNTIME_UNKNOWN']).toContain(job.code);
      else expectJobValid(job);
    }), { numRuns: RUNS });
  });
});

describe('fuzz: incident: buttons (src/slack/blocks/incident.ts ↔ src/slack/listeners/incident-actions.ts)', () => {
  const incidentId = fc.stringMatching(/^inc-[a-z0-9]{4,40}$/);

  it('a value as the root encodes it becomes the job for that incident and action', () => {
    const silence = fc.option(fc.integer({ min: 60, max: 7 * 86_400 }), { nil: undefined });
    fc.assert(fc.property(fc.constantFrom(...Object.values(INCIDENT_ACTION_IDS)), incidentId, silence, incidentId, (id, i, s, t) => {
      // the merge choice (a select option) also carries the incident to merge into
      const merge = id === INCIDENT_ACTION_IDS.merge;
      const v: IncidentButtonValue & { t?: string } = { i, ...(s === undefined ? {} : { s }), ...(merge ? { t } : {}) };
      const job = incidentActionJob(id, JSON.stringify(v), where);
      if (job instanceof OpsError) throw job;
      expectJobValid(job);
      expect(job.payload).toMatchObject({ kind: 'action', incident_id: i, ...(merge ? { into: t } : {}) });
    }), { numRuns: RUNS });
  });

  it('a forged value or action id is a coded refusal', () => {
    fc.assert(fc.property(fc.oneof(fc.constantFrom(...Object.values(INCIDENT_ACTION_IDS)), fc.string({ maxLength: 300 })), forged, (id, v) => {
      const job = incidentActionJob(id, v, where);
      if (job instanceof OpsError) expect(['ACTION_PAYLOAD_INVALID', 'ACTION_UNKNOWN']).toContain(job.code);
      else expectJobValid(job);
    }), { numRuns: RUNS });
  });
});

describe('fuzz: the catch-all for interactions no listener claims (src/slack/listeners/unknown.ts)', () => {
  it('any request body: a payload object or undefined, and a reason or undefined — never a throw', () => {
    const body = fc.oneof(
      fc.string({ maxLength: 400 }),
      fc.jsonValue({ maxDepth: 3 }).map((v) => new URLSearchParams({ payload: JSON.stringify(v) }).toString()),
      fc.record({ type: fc.oneof(fc.string(), fc.constant('block_actions')), user: fc.option(fc.record({ id: fc.oneof(fc.string(), fc.integer()) })), actions: fc.jsonValue({ maxDepth: 1 }) }, { requiredKeys: [] })
        .map((v) => `payload=${encodeURIComponent(JSON.stringify(v))}`),
    );
    fc.assert(fc.property(body, (raw) => {
      const p = interactionPayload(raw);
      if (p !== undefined) {
        expect(typeof p).toBe('object');
        const reason = malformedReason(p);
        if (reason !== undefined) expect(typeof reason).toBe('string');
      }
    }), { numRuns: RUNS });
  });

  it('the ephemeral for an unknown action id is bounded and its id cannot escape the code span or ping anyone', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 600 }), fc.constantFrom('<!channel>', '`<!here>`', '<@U0BOSS>', '<https://x|y>')), (id) => {
      const text = unknownActionText(id);
      expect(text.length).toBeLessThan(2_000);
      expect(text).not.toMatch(/<[!@#]|<https?:/);
      const span = /\(action `([^`]*)`\)/.exec(text);
      expect(span, text).not.toBeNull();
    }), { numRuns: RUNS });
  });
});
