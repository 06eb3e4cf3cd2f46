/** The guide subcommands' parsers, button values and Home/shortcut jobs: pure, on plain arguments. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { GuideJob } from '../../src/diagnosis/guide-job.js';
import { guideFollowUps } from '../../src/diagnosis/guide-follow-ups.js';
import { evaluateHealth } from '../../src/diagnosis/health.js';
import { DEFAULT_THRESHOLDS } from '../../src/diagnosis/thresholds.js';
import { glanceMessage, homeView } from '../../src/slack/blocks/guide-home.js';
import { parseCommand, SUBCOMMANDS } from '../../src/slack/commands/index.js';
import { guideActionJob } from '../../src/slack/listeners/guide-actions.js';
import { glanceJob, homeJob } from '../../src/slack/listeners/home.js';
import { healthyAgents, NOW, runtimeInfo, summaries } from './fixtures.js';
import { expectWithinSlackLimits } from '../support/slack-limits.js';

const config = loadConfig({ AUTOGEN_RUNTIMES: 'prod=http://a;staging=http://b', AUTOGEN_RUNTIME_PROD_TOKEN: 'x', AUTOGEN_RUNTIME_STAGING_TOKEN: 'y' });
const ctx = { config, user: 'U1', channel: 'C1', team: 'T1', now: NOW, requestId: 'r1' };

function job(text: string): Record<string, unknown> {
  const r = parseCommand(text, ctx);
  if (!r.ok) throw new Error(`${text}: ${r.error.code} ${r.error.message}`);
  expect(r.job?.queue).toBe('guide');
  const parsed = GuideJob.parse(r.job?.payload);
  return parsed as unknown as Record<string, unknown>;
}

function errorCode(text: string): string {
  const r = parseCommand(text, ctx);
  if (r.ok) throw new Error(`${text} was accepted`);
  return r.error.code;
}

describe('guide subcommand parsers', () => {
  it('health and snapshot: the default runtime or the one named', () => {
    expect(job('health')).toMatchObject({ tool: 'health', runtime: 'prod', channel: 'C1', user: 'U1', source: 'slash' });
    expect(job('snapshot staging')).toMatchObject({ tool: 'snapshot', runtime: 'staging' });
    expect(errorCode('health qa')).toBe('RUNTIME_UNKNOWN');
  });

  it('perf: an agent (with an optional runtime), or a runtime by name, or the word runtime', () => {
    expect(job('perf ChatAgent')).toMatchObject({ tool: 'perf', runtime: 'prod', agent: 'ChatAgent' });
    expect(job('perf ChatAgent staging')).toMatchObject({ runtime: 'staging', agent: 'ChatAgent' });
    expect(job('perf staging')).toEqual(expect.not.objectContaining({ agent: expect.anything() }));
    expect(job('perf runtime')).toMatchObject({ tool: 'perf', runtime: 'prod' });
    expect(errorCode('perf')).toBe('COMMAND_USAGE');
  });

  it('message: from, to, an optional type and runtime', () => {
    expect(job('message ChatAgent PlannerAgent')).toMatchObject({ tool: 'message', from: 'ChatAgent', to: 'PlannerAgent', runtime: 'prod' });
    expect(job('message ChatAgent PlannerAgent staging')).toMatchObject({ runtime: 'staging' });
    expect(job('message ChatAgent PlannerAgent PlanRequest staging')).toMatchObject({ message_type: 'PlanRequest', runtime: 'staging' });
    expect(errorCode('message ChatAgent')).toBe('COMMAND_USAGE');
    expect(errorCode('message ChatAgent Plan!')).toBe('AGENT_NAME_INVALID');
  });

  it('logs: words recognised by shape, in any order; the window bounded by the runtime\'s thresholds', () => {
    expect(job('logs')).toMatchObject({ tool: 'logs', window_s: 3600, level: 'WARNING', runtime: 'prod' });
    expect(job('logs ChatAgent 15m error')).toMatchObject({ agent: 'ChatAgent', window_s: 900, level: 'ERROR' });
    expect(job('logs error staging 2h')).toMatchObject({ window_s: 7200, level: 'ERROR', runtime: 'staging' });
    expect(job('logs 2026-01-10T11:00:00Z')).toMatchObject({ window_s: 3600 });
    expect(errorCode('logs 25h')).toBe('LOG_WINDOW_TOO_LARGE');
    expect(errorCode('logs 2026-01-11T00:00:00Z')).toBe('LOG_WINDOW_INVALID');
    expect(errorCode('logs 5x')).toBe('LOG_WINDOW_INVALID');
    expect(errorCode('logs A B')).toBe('COMMAND_USAGE');
    const strict = loadConfig({ AUTOGEN_RUNTIMES: 'prod=http://a', AUTOGEN_RUNTIME_PROD_TOKEN: 'x', AUTOGEN_RUNTIME_PROD_THRESHOLDS: '{"maxLogWindowH": 1}' });
    const r = parseCommand('logs 2h', { ...ctx, config: strict });
    expect(!r.ok && r.error.code).toBe('LOG_WINDOW_TOO_LARGE');
  });

  it('trace and inspect', () => {
    expect(job('trace 3f2a9c1e-1111-2222-3333-444455556666')).toMatchObject({ tool: 'trace', message_id: '3f2a9c1e-1111-2222-3333-444455556666' });
    expect(errorCode('trace <!channel>')).toBe('MESSAGE_ID_INVALID');
    expect(job('inspect ToolAgent staging')).toMatchObject({ tool: 'inspect', agent: 'ToolAgent', runtime: 'staging' });
    expect(errorCode('inspect')).toBe('COMMAND_USAGE');
  });

  it('help lists every guide subcommand', () => {
    const r = parseCommand('help', ctx);
    for (const name of ['health', 'perf', 'message', 'logs', 'trace', 'inspect', 'snapshot']) expect(r.ok && r.ack).toContain(`/autogen ${name}`);
  });
});

const report = evaluateHealth({ runtime: 'prod', info: runtimeInfo({ queue_depth: 5000 }), agents: summaries(healthyAgents()), thresholds: DEFAULT_THRESHOLDS, now: NOW });

describe('guide buttons', () => {
  const where = { channel: 'C1', user: 'U1', thread_ts: '1700000000.000100', requestId: 'trig', now: NOW };

  it('every follow-up of a report becomes a valid guide job in the report\'s thread', () => {
    const followUps = guideFollowUps(report, { agentTypes: ['ChatAgent'] }).filter((f) => f.action_id.startsWith('guide:'));
    expect(followUps.length).toBeGreaterThan(0);
    for (const f of followUps) {
      const j = guideActionJob(f.action_id, f.value, where, ['prod']);
      if (j instanceof Error) throw j;
      const payload = GuideJob.parse(j.payload);
      expect(payload).toMatchObject({ runtime: 'prod', channel: 'C1', thread_ts: '1700000000.000100', source: 'button' });
    }
  });

  it('a forged or stale value is a coded error', () => {
    expect((guideActionJob('guide:inspect', '{"t":"inspect","r":"prod"}', where, ['prod']) as Error & { code: string }).code).toBe('ACTION_PAYLOAD_INVALID');
    expect((guideActionJob('guide:health', 'not json', where, ['prod']) as Error & { code: string }).code).toBe('ACTION_PAYLOAD_INVALID');
    expect((guideActionJob('guide:health', '{"t":"health","r":"gone"}', where, ['prod']) as Error & { code: string }).code).toBe('RUNTIME_UNKNOWN');
  });
});

describe('App Home and shortcut', () => {
  it('jobs: one Home refresh per user per 10 s, the shortcut answers in the message\'s thread', () => {
    expect(homeJob('U1', NOW).jobId).toBe(homeJob('U1', new Date(NOW.getTime() + 5_000)).jobId);
    expect(homeJob('U1', NOW).jobId).not.toBe(homeJob('U1', new Date(NOW.getTime() + 10_000)).jobId);
    const g = glanceJob({ channel: { id: 'C9', name: 'x' }, user: { id: 'U9', name: 'y' }, message: { type: 'message', ts: '1.2', thread_ts: '1.1' } as never, trigger_id: 't' }, NOW);
    expect(GuideJob.parse(g.payload)).toMatchObject({ tool: 'glance', channel: 'C9', user: 'U9', thread_ts: '1.1' });
  });

  it('30 runtimes and every subcommand fit a Home view (100 blocks) and a message (50 blocks)', () => {
    const glances = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? { runtime: `rt-${i}`, error: 'connection refused '.repeat(50) } : { runtime: `rt-${i}`, report }));
    const view = homeView(glances, '/autogen', SUBCOMMANDS, NOW);
    expect(view.blocks.length).toBeLessThanOrEqual(100);
    expectWithinSlackLimits({ text: 'home', blocks: view.blocks });
    const msg = glanceMessage(glances, '/autogen', SUBCOMMANDS, NOW);
    expectWithinSlackLimits(msg);
    expect(msg.text).toBe('AutoGen Ops: 0 of 30 runtimes healthy');
  });
});
