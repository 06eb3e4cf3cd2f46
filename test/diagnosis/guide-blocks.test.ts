/** Guide reports as Block Kit: the shared vocabulary, within Slack's limits for oversized inputs. */
import { describe, expect, it } from 'vitest';
import { guideFollowUps } from '../../src/diagnosis/guide-follow-ups.js';
import { unreachableReport } from '../../src/diagnosis/guide-report.js';
import { evaluateHealth } from '../../src/diagnosis/health.js';
import { inspectReport } from '../../src/diagnosis/inspect.js';
import { logsReport } from '../../src/diagnosis/logs.js';
import { diagnoseMessage } from '../../src/diagnosis/message.js';
import { diagnosePerformance } from '../../src/diagnosis/performance.js';
import { packageSnapshot } from '../../src/diagnosis/snapshot.js';
import { DEFAULT_THRESHOLDS } from '../../src/diagnosis/thresholds.js';
import { traceReport } from '../../src/diagnosis/trace.js';
import { guideReportMessage } from '../../src/slack/blocks/guide.js';
import { agent, AGENT_TYPES, healthyAgents, isoAgo, logRecord, message, NOW, runtimeInfo, summaries } from './fixtures.js';
import { expectWithinSlackLimits } from '../support/slack-limits.js';

const t = DEFAULT_THRESHOLDS;
const HOUR = 3_600_000;

function texts(blocks: readonly Record<string, unknown>[]): string {
  return blocks
    .flatMap((b) => [
      (b.text as { text?: string } | undefined)?.text ?? '',
      ...((b.elements as { text?: unknown }[] | undefined) ?? []).map((e) => (typeof e.text === 'string' ? e.text : (e.text as { text?: string } | undefined)?.text ?? '')),
    ])
    .join('\n');
}

describe('guide report messages', () => {
  it('a failing health report: verdict header, category, ✅/❌ lines with fixes, root cause, next steps, buttons', () => {
    const info = runtimeInfo({ dependencies: [{ name: 'vector-db', kind: 'database', url: 'tcp://127.0.0.1:6999', reachable: false, error: 'connection refused' }] });
    const report = evaluateHealth({ runtime: 'demo', info, agents: summaries(healthyAgents()), thresholds: t, now: NOW });
    const msg = guideReportMessage(report, { followUps: guideFollowUps(report, { agentTypes: [...AGENT_TYPES] }) });
    const all = texts(msg.blocks);
    expect(msg.blocks[0]).toMatchObject({ type: 'header', text: { text: '❌ Health check: Runtime demo — Failing' } });
    expect(all).toContain('category: *Integration › Database*');
    expect(all).toContain('❌ *Dependency vector-db unreachable* — connection refused (tcp://127.0.0.1:6999)');
    expect(all).toContain('✅ *Runtime demo up*');
    expect(all).toContain('*Probable root cause*');
    expect(all).toContain('*Next steps (from the guide)*');
    expect(all).toContain('verify: Re-run `/autogen health demo`');
    const actions = msg.blocks.find((b) => b.type === 'actions') as unknown as { elements: { action_id: string }[] };
    expect(actions.elements.map((e) => e.action_id)).toEqual(['guide:logs', 'guide:perf', 'guide:snapshot']);
    expectWithinSlackLimits(msg);
  });

  it('a healthy report says so and proposes no recovery', () => {
    const report = evaluateHealth({ runtime: 'demo', info: runtimeInfo(), agents: summaries(healthyAgents()), thresholds: t, now: NOW });
    const msg = guideReportMessage(report, { followUps: guideFollowUps(report, { agentTypes: [...AGENT_TYPES] }) });
    expect(msg.blocks[0]).toMatchObject({ text: { text: '✅ Health check: Runtime demo — Healthy' } });
    expect(texts(msg.blocks)).toContain('category: *no problem found*');
    expect(texts(msg.blocks)).not.toContain('Propose recovery');
    expectWithinSlackLimits(msg);
  });

  it('escapes runtime data: an error message cannot ping the channel or inject a link', () => {
    const records = Array.from({ length: 3 }, (_, i) => logRecord({ ts: isoAgo(i * 1000), message: '<!channel> see <https://evil.example|here> & panic' }));
    const report = logsReport({ runtime: 'demo', since: new Date(NOW.getTime() - HOUR), until: NOW, records, thresholds: t, now: NOW });
    const all = texts(guideReportMessage(report).blocks);
    expect(all).not.toContain('<!channel>');
    expect(all).not.toContain('<https://evil');
    expect(all).toContain('&lt;!channel&gt;');
  });

  it('escapes runtime data in the notification text too, not only in blocks', () => {
    const hostile = '<!channel> see <https://evil.example|here>';
    const records = Array.from({ length: 3 }, (_, i) => logRecord({ ts: isoAgo(i * 1000), exception_type: 'RuntimeError', message: hostile }));
    const report = logsReport({ runtime: 'demo', since: new Date(NOW.getTime() - HOUR), until: NOW, records, thresholds: t, now: NOW });
    const msg = guideReportMessage({ ...report, verdict: { ...report.verdict, headline: `failing: ${hostile}` } });
    expect(msg.text).not.toContain('<!channel>');
    expect(msg.text).not.toContain('<https://evil');
  });

  it('1,000 errors: the log report still posts within every limit, the rest is in the attached file', () => {
    const records = Array.from({ length: 1000 }, (_, i) =>
      logRecord({ ts: isoAgo(i * 3000), agent_type: AGENT_TYPES[i % 4], exception_type: `Error${i % 300}`, message: `${'long message '.repeat(40)} ${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26) % 26)}`, traceback: 'Traceback\n'.repeat(50) }),
    );
    const report = logsReport({ runtime: 'demo', since: new Date(NOW.getTime() - HOUR), until: NOW, records, thresholds: t, now: NOW });
    const msg = guideReportMessage(report, { followUps: guideFollowUps(report, { agentTypes: [...AGENT_TYPES] }) });
    expectWithinSlackLimits(msg);
    expect(report.attachment?.content.length).toBeGreaterThan(100_000);
    expect(texts(msg.blocks)).toContain('📎 Full content attached');
  });

  it('a 100 KB saved state: the inspect report posts, the state is attached', () => {
    const big = { default: Object.fromEntries(Array.from({ length: 3000 }, (_, i) => [`key_${i}`, 'v'.repeat(30)])) };
    const report = inspectReport({ runtime: 'demo', agent: agent('ChatAgent', { saved_state: big, instances: Array.from({ length: 500 }, (_, i) => `user-${i}`) }), info: runtimeInfo(), thresholds: t, now: NOW });
    expect(JSON.stringify(big).length).toBeGreaterThan(100_000);
    const msg = guideReportMessage(report);
    expectWithinSlackLimits(msg);
    expect(report.attachment?.filename).toBe('state-demo-ChatAgent.json');
  });

  it('200 agent types, 60-hop traces, huge messages and snapshots stay within limits', () => {
    const many = Array.from({ length: 200 }, (_, i) => agent(`Agent${i}`, { isolated: i % 3 === 0, construction_errors: i % 5, last_error: { ts: isoAgo(1), exception_type: 'ModuleNotFoundError', message: `No module named 'm${i}' ${'x'.repeat(3000)}`, phase: 'construction' } }));
    const reports = [
      evaluateHealth({ runtime: 'demo', info: runtimeInfo({ agent_types: many.map((a) => a.type) }), agents: summaries(many), thresholds: t, now: NOW }),
      diagnosePerformance({ runtime: 'demo', info: runtimeInfo({ cpu_percent: 99 }), target: { kind: 'runtime', agents: many }, thresholds: t, now: NOW }),
      traceReport({ runtime: 'demo', trace: { message_id: 'm-0', hops: Array.from({ length: 60 }, (_, i) => message('ChatAgent', 'ToolAgent', { message_id: `m-${i}`, outcome: i === 59 ? 'error' : 'ok', error: i === 59 ? 'x'.repeat(5000) : null })) }, thresholds: t, now: NOW }),
      diagnoseMessage({ runtime: 'demo', from: 'ChatAgent', to: 'PlannerAgent', info: runtimeInfo(), agents: summaries(healthyAgents()), recipient: healthyAgents()[1]!, messages: Array.from({ length: 500 }, () => message('ChatAgent', 'PlannerAgent', { outcome: 'error', error: 'y'.repeat(4000) })), thresholds: t, now: NOW }),
      packageSnapshot({ runtime: 'demo', snapshot: { taken_at: NOW.toISOString(), runtime: runtimeInfo(), agents: many, recent_messages: [], config: {}, environment: {} }, thresholds: t, now: NOW }).report,
      unreachableReport({ tool: 'health', runtime: 'demo', subject: 'Runtime demo', now: NOW, reason: 'connection refused '.repeat(500) }),
    ];
    for (const report of reports) {
      const msg = guideReportMessage(report, { followUps: guideFollowUps(report, { agentTypes: many.map((a) => a.type), agent: 'x'.repeat(100) }) });
      expectWithinSlackLimits(msg, report.tool);
    }
  });
});
