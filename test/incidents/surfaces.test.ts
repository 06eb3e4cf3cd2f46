import { describe, expect, it } from 'vitest';
import { OpsError } from '../../src/errors.js';
import { loadConfig } from '../../src/config.js';
import { INCIDENT_ACTION_IDS } from '../../src/slack/blocks/incident.js';
import { parseCommand } from '../../src/slack/commands/index.js';
import { incidentActionJob } from '../../src/slack/listeners/incident-actions.js';

const where = { channel: 'C0ALERTS', user: 'U0ALICE', requestId: 'trig123', now: new Date('2025-01-01T10:00:00Z') };

describe('incident: buttons → jobs (pure)', () => {
  it('each button asks for its action on the incident it carries', () => {
    const cases: [string, string, Record<string, unknown>][] = [
      [INCIDENT_ACTION_IDS.acknowledge, '{"i":"inc-abc123"}', { action: 'acknowledge' }],
      [INCIDENT_ACTION_IDS.resolve, '{"i":"inc-abc123"}', { action: 'resolve' }],
      [INCIDENT_ACTION_IDS.diagnose, '{"i":"inc-abc123"}', { action: 'diagnose' }],
      [INCIDENT_ACTION_IDS.silence4h, '{"i":"inc-abc123","s":14400}', { action: 'silence', silence_s: 14400 }],
      [INCIDENT_ACTION_IDS.unsilence, '{"i":"inc-abc123"}', { action: 'unsilence' }],
    ];
    for (const [id, value, expected] of cases) {
      const job = incidentActionJob(id, value, where);
      expect(job).not.toBeInstanceOf(OpsError);
      expect(job).toMatchObject({ queue: 'alert', jobId: 'act-trig123', payload: { kind: 'action', incident_id: 'inc-abc123', user: 'U0ALICE', channel: 'C0ALERTS', ...expected } });
    }
  });

  it('refuses unknown buttons and values it cannot read, with coded errors', () => {
    expect((incidentActionJob('incident:explode', '{"i":"inc-abc123"}', where) as OpsError).code).toBe('ACTION_UNKNOWN');
    for (const bad of [undefined, 'not json', '{"i":"nope"}', '{"i":"inc-abc123","s":1}']) {
      expect((incidentActionJob(INCIDENT_ACTION_IDS.silence1h, bad, where) as OpsError).code).toBe('ACTION_PAYLOAD_INVALID');
    }
  });
});

describe('/autogen incidents', () => {
  const config = loadConfig({});
  const ctx = { config, user: 'U0BOB', channel: 'C0OPS', team: 'T1', now: where.now, requestId: 'trig9' };

  it('queues a list request answered to the asking user', () => {
    const r = parseCommand('incidents', ctx);
    expect(r.ok).toBe(true);
    expect(r.ok && r.job).toEqual({ queue: 'alert', jobId: 'list-trig9', payload: { kind: 'list', user: 'U0BOB', channel: 'C0OPS', requested_at: where.now.toISOString() } });
  });

  it('takes no arguments', () => {
    const r = parseCommand('incidents all', ctx);
    expect(!r.ok && r.error.code).toBe('COMMAND_USAGE');
  });
});
