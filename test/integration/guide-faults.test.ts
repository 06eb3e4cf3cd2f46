/**
 * The troubleshooting guide's subcommands end to end on real parts, one demo fleet per fault the fleet can
 * inject: a signed `/autogen …` reaches the bot, a real worker takes the `guide` job from real Redis,
 * reads the real AutoGen fleet over HTTP and posts the report through the outbox to the Slack sandbox.
 * Each test asserts the report's category, the fault's evidence and the guide's fix; a healthy fleet gets
 * healthy reports. Only Slack is a stand-in.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderBlocks } from '../../sandbox/render.js';
import { GUIDE_FIXES } from '../../src/diagnosis/error-signals.js';
import { startTestSandbox, type Sandbox, type SandboxMessage } from '../support/sandbox.js';
import { startTestBot, type TestBot } from '../support/bot.js';
import { startTestFleet, type LocalFleet } from '../support/fleet.js';
import { waitFor } from '../support/poll.js';
import { expectWithinSlackLimits } from '../support/slack-limits.js';

let sandbox: Sandbox;
let bot: TestBot;
const fleets: Record<string, LocalFleet> = {};

/** runtime name → the fault it is started with (`fault:AgentType`), or none. */
const FLEETS: Record<string, string | undefined> = {
  healthy: undefined,
  exception: 'exception:ChatAgent',
  cascade: 'cascade:ChatAgent',
  deaddep: 'dead_dependency:RetrieverAgent',
  nomodule: 'missing_module:ToolAgent',
  slow: 'slow:ChatAgent',
  leaky: 'memory:ChatAgent',
  flood: 'flood:RetrieverAgent',
};

beforeAll(async () => {
  sandbox = await startTestSandbox();
  const started = await Promise.all(Object.entries(FLEETS).map(async ([name, fault]) => [name, await startTestFleet({ name, ...(fault ? { faults: [fault] } : {}) })] as const));
  for (const [name, fleet] of started) fleets[name] = fleet;
  bot = await startTestBot({
    sandbox,
    runtimes: Object.fromEntries(Object.entries(fleets).map(([name, f]) => [name, { url: f.url, token: f.token }])),
    // The memory fault grows from the start: judge the trend without the warm-up exclusion, over 10 s.
    env: { AUTOGEN_RUNTIME_LEAKY_THRESHOLDS: '{"leakWarmupS": 0, "leakMinSpanS": 10}', DIAGNOSE_ATTEMPTS: '2' },
  });
}, 120_000);

afterAll(async () => {
  await bot?.stop();
  await Promise.all([...Object.values(fleets).map((f) => f.stop()), sandbox?.stop()]);
});

async function bridge<T>(runtime: string, path: string): Promise<T> {
  const f = fleets[runtime]!;
  const res = await fetch(`${f.url}${path}`, { headers: { authorization: `Bearer ${f.token}` } });
  return (await res.json()) as T;
}

let channelSeq = 0;
/** Sends the command in a fresh channel and returns the report posted there, rendered as text. */
async function run(text: string): Promise<{ msg: SandboxMessage; text: string; channel: string }> {
  channelSeq += 1;
  const channel = `C0GUIDE${channelSeq}`;
  const ack = await sandbox.sendCommand(bot.eventsUrl, { text, channel });
  expect(ack.status).toBe(200);
  expect(String(ack.json?.response_type)).toBe('ephemeral');
  const msg = await waitFor(() => sandbox.messages.find((m) => m.channel === channel && m.thread_ts === undefined), { timeoutMs: 25_000, what: `report for "${text}"` });
  expectWithinSlackLimits(msg);
  return { msg, text: renderBlocks(msg.blocks), channel };
}

function buttonsOf(msg: SandboxMessage): string[] {
  const actions = msg.blocks.find((b) => b.type === 'actions') as { elements?: { action_id: string }[] } | undefined;
  return (actions?.elements ?? []).map((e) => e.action_id);
}

describe('the healthy fleet: no false alarms', () => {
  it('/autogen health: healthy, every check ✅', async () => {
    await waitFor(async () => ((await bridge<{ handled_total: number }>('healthy', '/v1/agents/ChatAgent')).handled_total > 0), { timeoutMs: 20_000, what: 'traffic' });
    const { text } = await run('health healthy');
    expect(text).toContain('✅ Health check: Runtime healthy — Healthy');
    expect(text).toContain('category: no problem found');
    expect(text).toContain('✅ Dependency vector-db reachable');
    expect(text).toContain('✅ 7 agent types up'); // the four core agents and the AgentChat team `support` (two participants and its manager)
    expect(text).not.toContain('❌');
    expect(text).not.toContain('⚠️');
  });

  it('/autogen perf ChatAgent, /autogen inspect ToolAgent, /autogen logs: healthy', async () => {
    const perf = await run('perf ChatAgent healthy');
    expect(perf.text).toContain('Performance: ChatAgent — Healthy');
    expect(perf.text).toContain('None: every metric is within its threshold');
    const inspect = await run('inspect ToolAgent healthy');
    expect(inspect.text).toContain('Agent inspection: ToolAgent — Healthy');
    expect(inspect.text).toContain('Basic info');
    expect(inspect.text).toContain('Internal state');
    const logs = await run('logs healthy');
    expect(logs.text).toContain('Log analysis: Logs of runtime healthy — Healthy');
    expect(logs.text).toContain('✅ No warnings or errors');
  });

  it('/autogen message ChatAgent PlannerAgent: delivery healthy, with its recent deliveries', async () => {
    const { text } = await run('message ChatAgent PlannerAgent healthy');
    expect(text).toContain('Message delivery: ChatAgent → PlannerAgent — Healthy');
    expect(text).toContain('✅ PlannerAgent has a handler for PlanRequest');
    expect(text).toContain('Recent deliveries ChatAgent → PlannerAgent');
  });

  it('/autogen trace <id>: the path of a real message with timings', async () => {
    const page = await bridge<{ messages: { message_id: string; sender: string | null; recipient: string }[] }>('healthy', '/v1/messages?limit=200&agent=ChatAgent');
    const root = page.messages.find((m) => m.sender === null && m.recipient.startsWith('ChatAgent/'));
    expect(root).toBeDefined();
    const { text } = await run(`trace ${root!.message_id} healthy`);
    expect(text).toContain(`Message trace: Message ${root!.message_id} — Healthy`);
    expect(text).toMatch(/\+0 ms ✅ \(external\) → ChatAgent\/default ChatRequest \[send\] ok/);
    expect(text).toContain('ChatAgent/default → PlannerAgent/default PlanRequest');
  });

  it('/autogen snapshot: a summary in the channel, the JSON file in its thread, kept in Redis for the incident', async () => {
    // The snapshot carries the latest 50 deliveries: wait until the fleet's traffic has made that many.
    await waitFor(async () => (await bridge<{ messages: unknown[] }>('healthy', '/v1/messages?limit=50')).messages.length >= 50, { timeoutMs: 30_000, what: '50 deliveries' });
    const { msg, text, channel } = await run('snapshot healthy');
    expect(text).toContain('Debug snapshot: Snapshot of healthy');
    expect(text).toMatch(/50 recent messages/);
    const file = await waitFor(() => sandbox.files.find((f) => f.channel === channel && f.content.length > 0), { timeoutMs: 15_000, what: 'snapshot upload' });
    expect(file.filename).toMatch(/^snapshot-healthy-\d{8}T\d{6}\.json$/);
    expect(file.thread_ts).toBe(msg.ts);
    const doc = JSON.parse(file.content) as { kind: string; snapshot: { recent_messages: unknown[]; config: unknown } };
    expect(doc.kind).toBe('autogen-ops.debug-snapshot');
    expect(doc.snapshot.recent_messages).toHaveLength(50);
    expect(file.content).not.toContain(fleets.healthy!.token);
    const keys = await bot.worker!.deps.redis.keys(`${bot.worker!.deps.keyPrefix}guide:snapshots:channel:${channel}`);
    expect(keys).toHaveLength(1);
  });
});

describe('each fault the demo fleet injects: category, evidence and the guide\'s fix', () => {
  it('exception → /autogen logs ChatAgent: Application › Business logic, the exception grouped, the handler fix', async () => {
    await waitFor(async () => ((await bridge<{ errors_total: number }>('exception', '/v1/agents/ChatAgent')).errors_total >= 3), { timeoutMs: 20_000, what: 'errors' });
    const { msg, text, channel } = await run('logs ChatAgent 10m exception');
    expect(text).toContain('Log analysis: Logs of ChatAgent — Failing');
    expect(text).toContain('category: Application › Business logic');
    expect(text).toMatch(/❌ InjectedFaultError ×\d+ \(the handler raises on its input\)/);
    expect(text).toContain('"injected fault: ChatAgent handler raised an unexpected exception" in ChatAgent');
    expect(text).toContain(GUIDE_FIXES.businessLogic.replace(/`/g, ''));
    const file = await waitFor(() => sandbox.files.find((f) => f.channel === channel && f.content.length > 0), { timeoutMs: 15_000, what: 'analysis upload' });
    expect(file.thread_ts).toBe(msg.ts);
    expect(file.content).toContain('# Log analysis — runtime exception, agent ChatAgent');
    expect(file.content).toContain('Traceback');
  });

  it('cascade → /autogen logs: the cascade named with its origin (RetrieverAgent), timeouts, isolate first', async () => {
    await waitFor(async () => ((await bridge<{ errors_total: number }>('cascade', '/v1/agents/ChatAgent')).errors_total >= 5), { timeoutMs: 20_000, what: 'cascade errors' });
    const { msg, text } = await run('logs 10m cascade');
    expect(text).toContain('category: Application › Timeouts');
    expect(text).toMatch(/❌ Cascade: errors start in RetrieverAgent and spread to (ChatAgent, PlannerAgent|PlannerAgent, ChatAgent)/);
    expect(text).toContain('Isolate RetrieverAgent: stop new messages to it, save its state, take it out of routing');
    expect(text).toContain('Increase the timeout');
    expect(buttonsOf(msg)).toContain('diag:recover');
  });

  it('cascade → /autogen trace of a failed request: fails at the RetrieverAgent hop', async () => {
    const page = await bridge<{ messages: { message_id: string; sender: string | null; recipient: string; outcome: string }[] }>('cascade', '/v1/messages?limit=300&agent=ChatAgent');
    const failed = page.messages.find((m) => m.sender === null && m.recipient.startsWith('ChatAgent/') && m.outcome === 'error');
    expect(failed).toBeDefined();
    const { text } = await run(`trace ${failed!.message_id} cascade`);
    expect(text).toContain('— Failing');
    expect(text).toMatch(/❌ Failed at hop \d+: RetrieverAgent \(an operation timed out\) — RetrieveRequest error: TimeoutError/);
    expect(text).toContain('category: Application › Timeouts');
  });

  it('dead_dependency → /autogen health: Integration › Database, vector-db refuses connections, check the database', async () => {
    await waitFor(async () => ((await bridge<{ dependencies: { reachable: boolean }[] }>('deaddep', '/v1/runtime')).dependencies.some((d) => d.reachable === false)), { timeoutMs: 20_000, what: 'dead dependency' });
    const { msg, text } = await run('health deaddep');
    expect(text).toContain('❌ Health check: Runtime deaddep — Failing');
    expect(text).toContain('category: Integration › Database');
    expect(text).toMatch(/❌ Dependency vector-db unreachable — connection refused \(tcp:\/\/127\.0\.0\.1:\d+\)/);
    expect(text).toContain('Check the database (e.g. `pg_isready`)');
    expect(buttonsOf(msg)).toEqual(expect.arrayContaining(['guide:logs', 'guide:snapshot']));
  });

  it('missing_module → /autogen inspect ToolAgent: Runtime › Agent creation, No module named …, pip install', async () => {
    await waitFor(async () => ((await bridge<{ construction_errors: number }>('nomodule', '/v1/agents/ToolAgent')).construction_errors > 0), { timeoutMs: 20_000, what: 'construction errors' });
    const { text } = await run('inspect ToolAgent nomodule');
    expect(text).toContain('Agent inspection: ToolAgent — Failing');
    expect(text).toContain('category: Runtime › Agent creation');
    expect(text).toContain('❌ ToolAgent cannot be created (missing Python module `web_search_client`)');
    expect(text).toContain("No module named 'web_search_client'");
    expect(text).toContain('Install the missing dependency: `pip install web_search_client`');
  });

  it('slow → /autogen perf ChatAgent: Runtime › Performance, average above 2 s, the guide\'s slow-response fixes', async () => {
    await waitFor(async () => (((await bridge<{ latency_ms: { avg: number | null } }>('slow', '/v1/agents/ChatAgent')).latency_ms.avg ?? 0) > 2000), { timeoutMs: 30_000, what: 'slow average' });
    const { text } = await run('perf ChatAgent slow');
    expect(text).toContain('❌ Performance: ChatAgent — Failing');
    expect(text).toContain('category: Runtime › Performance');
    const avg = /❌ ChatAgent responds slowly — average (\d+\.\d) s over \d+ messages? in the last (1 min|5 min), p95 \d+\.\d s, p99 \d+\.\d s \(threshold 2\.0 s\)/.exec(text);
    expect(avg, text).not.toBeNull();
    expect(Number(avg![1])).toBeGreaterThan(2);
    expect(text).toContain('Bottlenecks (ranked)');
    expect(text).toContain('Turn blocking operations into async ones');
  });

  it('memory → /autogen perf leaky: Infrastructure › Resources, a steady growth trend, the guide\'s leak hunt', async () => {
    await waitFor(async () => {
      const info = await bridge<{ rss_history: { ts: string }[] }>('leaky', '/v1/runtime');
      const h = info.rss_history;
      // a leak is a sustained growth: enough samples that each third of the span shows it (2 s apart)
      return h.length >= 8 && Date.parse(h[h.length - 1]!.ts) - Date.parse(h[0]!.ts) >= 14_000;
    }, { timeoutMs: 40_000, what: '14 s of RSS samples' });
    const { text } = await run('perf leaky');
    expect(text).toContain('Performance: Runtime leaky — Failing');
    expect(text).toContain('category: Infrastructure › Resources');
    expect(text).toMatch(/❌ Memory grows steadily: suspected leak — slope \d+\.\d{3}\/min \(\+\d+\.\d MB\/min/);
    expect(text).toContain('Profile with `memory_profiler` to find what grows');
  });

  it('flood → /autogen health flood: Runtime › Message delivery, the queue backed up, backpressure', async () => {
    await waitFor(async () => ((await bridge<{ queue_depth: number }>('flood', '/v1/runtime')).queue_depth > 10), { timeoutMs: 20_000, what: 'queue flood' });
    const { text } = await run('health flood');
    expect(text).toContain('category: Runtime › Message delivery');
    expect(text).toMatch(/(❌|⚠️) Runtime queue backed up — \d+ messages waiting \(threshold 10\)/);
    expect(text).toContain('Enable backpressure');
  });

  it('flood → /autogen message PlannerAgent RetrieverAgent: RetrieverAgent backlogged, backpressure', async () => {
    const { text } = await run('message PlannerAgent RetrieverAgent flood');
    expect(text).toContain('Message delivery: PlannerAgent → RetrieverAgent');
    expect(text).toMatch(/❌ RetrieverAgent backlogged — \d+ messages waiting or in flight \(threshold 10\)/);
    expect(text).toContain('Enable backpressure');
  });
});
