import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { parseCommand, SUBCOMMANDS } from '../../src/slack/commands/index.js';
import { helpText } from '../../src/slack/blocks/help.js';

const config = loadConfig({ AUTOGEN_RUNTIMES: 'prod=http://a;staging=http://b', AUTOGEN_RUNTIME_PROD_TOKEN: 'x', AUTOGEN_RUNTIME_STAGING_TOKEN: 'y' });
const ctx = { config, user: 'U0ALICE', channel: 'C0OPS', team: 'T1', now: new Date('2026-01-02T03:04:05Z'), requestId: 'trig1' };

describe('/autogen recover', () => {
  it('queues a plan request for the agent on the default runtime', () => {
    const r = parseCommand('recover ChatAgent', ctx);
    expect(r.ok && r.job).toEqual({
      queue: 'respond', jobId: 'recover-trig1',
      payload: { kind: 'plan', runtime: 'prod', channel: 'C0OPS', user: 'U0ALICE', agent: 'ChatAgent', agents: ['ChatAgent'], source: 'slash', requested_at: '2026-01-02T03:04:05.000Z' },
    });
    expect(r.ok && r.ack).toContain('nothing runs before an approver approves');
  });

  it('takes a runtime and a runbook in either order of presence', () => {
    const a = parseCommand('recover ToolAgent staging agent-wont-start', ctx);
    expect(a.ok && a.job?.payload).toMatchObject({ runtime: 'staging', runbook: 'agent-wont-start' });
    const b = parseCommand('recover ToolAgent memory_exhaustion', ctx);
    expect(b.ok && b.job?.payload).toMatchObject({ runtime: 'prod', runbook: 'memory_exhaustion' });
  });

  it('says what to type for bad input, and queues nothing', () => {
    const missing = parseCommand('recover', ctx);
    expect(!missing.ok && missing.error.code).toBe('COMMAND_USAGE');
    const bad = parseCommand('recover Chat/Ag/ent', ctx);
    expect(!bad.ok && bad.error.code).toBe('AGENT_NAME_INVALID');
    const junk = parseCommand('recover ChatAgent Not_A_Thing!', ctx);
    expect(!junk.ok && junk.error.message).toContain('is neither a configured runtime (`prod`, `staging`) nor a runbook id');
    const many = parseCommand('recover a b c d', ctx);
    expect(!many.ok && many.error.code).toBe('COMMAND_USAGE');
  });
});

describe('/autogen automation', () => {
  it('on, off and status queue the switch; anything else is a usage error', () => {
    for (const mode of ['on', 'off', 'status'] as const) {
      const r = parseCommand(`automation ${mode}`, ctx);
      expect(r.ok && r.job).toEqual({ queue: 'respond', jobId: 'automation-trig1', payload: { kind: 'automation', mode, user: 'U0ALICE', channel: 'C0OPS', requested_at: '2026-01-02T03:04:05.000Z' } });
    }
    expect(parseCommand('automation', ctx).ok && (parseCommand('automation', ctx) as { job?: { payload: { mode: string } } }).job?.payload.mode).toBe('status');
    const bad = parseCommand('automation maybe', ctx);
    expect(!bad.ok && bad.error.code).toBe('COMMAND_USAGE');
  });
});

describe('/autogen audit', () => {
  it('reads by incident or plan, optionally as JSON', () => {
    expect(parseCommand('audit inc-lq2x3a1b2c', ctx)).toMatchObject({ ok: true, job: { payload: { kind: 'audit', subject: 'inc-lq2x3a1b2c', json: false } } });
    expect(parseCommand('audit pl-abc-123 json', ctx)).toMatchObject({ ok: true, job: { payload: { subject: 'pl-abc-123', json: true } } });
    expect(parseCommand('audit json', ctx)).toMatchObject({ ok: true, job: { payload: { json: true } } });
    expect(parseCommand('audit', ctx)).toMatchObject({ ok: true, job: { payload: { json: false } } });
  });

  it('refuses what is not an incident or plan id', () => {
    const r = parseCommand('audit <!channel>', ctx);
    expect(!r.ok && r.error.code).toBe('AUDIT_SUBJECT_INVALID');
    expect(!r.ok && r.error.userMessage).not.toContain('<!channel>');
  });
});

it('help lists the response subcommands', () => {
  const text = helpText('/autogen', SUBCOMMANDS);
  expect(text).toContain('recover &lt;agent&gt; [runtime] [runbook]');
  expect(text).toContain('automation on|off|status');
  expect(text).toContain('audit [incident|plan] [json]');
});

describe('response settings', () => {
  it('reads the section with its defaults', () => {
    expect(config.response).toMatchObject({ runbooksDir: 'runbooks', approvalTtlS: 900, breaker: { limit: 10, windowMs: 600_000 }, dryRunOnly: false, allowAutoRun: false });
    const c = loadConfig({ APPROVAL_GROUPS: 'S0SRE=U0A,U0B', RESPONSE_DRY_RUN_ONLY: 'true', RESPONSE_MAX_ACTIONS: '3' });
    expect([...(c.response.groups.get('S0SRE') ?? [])]).toEqual(['U0A', 'U0B']);
    expect(c.response).toMatchObject({ dryRunOnly: true, breaker: { limit: 3 } });
  });

  it('reports every bad response variable with the others', () => {
    let problems: string[] = [];
    try {
      loadConfig({ APPROVAL_GROUPS: 'sre=alice', RESPONSE_MAX_ACTIONS: '0' });
    } catch (err) {
      problems = (err as { details: { problems: string[] } }).details.problems;
    }
    expect(problems).toContain('APPROVAL_GROUPS: "sre=alice": expected S<GROUPID>=U<USER>,U<USER>');
    expect(problems.some((p) => p.startsWith('RESPONSE_MAX_ACTIONS:'))).toBe(true);
  });
});

describe('the diagnosis report\'s "Propose recovery" button', () => {
  it('its respond payload is a plan request', async () => {
    const { parsePayload } = await import('../../src/queues/queues.js');
    const p = parsePayload('respond', { agent: 'ChatAgent', runtime: 'prod', channel: 'C0OPS', user: 'U0ALICE', thread_ts: '1700000000.000100', source: 'diag:recover' });
    expect(p).toMatchObject({ kind: 'plan', agent: 'ChatAgent', agents: [], findings: [], source: 'diag:recover' });
    expect(() => parsePayload('respond', { kind: 'audit', subject: '<!channel>', json: false, user: 'U0ALICE', channel: 'C0OPS', requested_at: '2026-01-01T00:00:00Z' })).toThrow(/JOB_PAYLOAD_INVALID|payload/);
  });
});
