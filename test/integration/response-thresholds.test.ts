/**
 * Runbook matching judges with the configured thresholds (AUTOGEN_RUNTIME_<NAME>_THRESHOLDS), the same
 * numbers the reports use: the demo fleet's queue backs up past the guide's 10 — which with the guide's
 * defaults proposes "Message queue overflow → backpressure" (response-scenarios.test.ts) — but this
 * runtime is configured to tolerate a queue of 100,000, so no backpressure plan is proposed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { thresholdsFor } from '../../src/diagnosis/thresholds.js';
import { findingThresholdsOf, findingsFromView, SEED_THRESHOLDS } from '../../src/response/findings.js';
import { waitFor } from '../support/poll.js';
import { bridgeGet, blocksText, injectFault, startResponseTest, type ResponseTest } from '../support/response-bot.js';
import { agent, view } from '../response/view-fixture.js';

let rt: ResponseTest | undefined;

beforeAll(async () => {
  rt = await startResponseTest({
    fleet: { enableFaults: true, rate: 10 },
    runbooks: { ttlS: 60, settleS: 1 },
    env: { AUTOGEN_RUNTIME_DEMO_THRESHOLDS: '{"queueDepth": 100000}' },
  });
}, 90_000);

afterAll(() => rt?.stop());

describe('runbook matching uses the configured thresholds', () => {
  it('a queue the runtime is configured to tolerate proposes no backpressure plan', async () => {
    const { sandbox, fleet, bot } = rt!;
    await injectFault(fleet, 'flood', 'ToolAgent');
    await waitFor(async () => (await bridgeGet<{ queue_depth: number }>(fleet, '/v1/runtime')).queue_depth > 10, { what: 'queue backlog past the guide\'s 10' });
    const before = sandbox.messages.length;
    await sandbox.sendCommand(bot.eventsUrl, { text: 'recover ToolAgent', channel: 'C0THRESH', user: 'U0ALICE' });
    // the answer: a plan message, or the message saying no runbook can act (posted or ephemeral)
    const answer = await waitFor(() => sandbox.messages.slice(before).find((m) => m.channel === 'C0THRESH')
      ?? sandbox.ephemerals.find((e) => e.channel === 'C0THRESH' && e.user === 'U0ALICE' && !e.text.startsWith('🔧')), { what: 'the answer to recover', timeoutMs: 20_000 });
    const text = `${answer.text}\n${blocksText(answer)}`;
    expect(text).toContain('No recovery plan');
    // the queue (> 10) is within this runtime's configured 100,000: no queue_backlog finding at all
    expect(text).not.toContain('queue_backlog');
    expect(text).not.toContain('Message queue overflow');
    expect(text).not.toContain('backpressure `ToolAgent`');
  });

  it('the matching thresholds are the configured ones, per runtime, with the guide\'s as default', () => {
    const config = loadConfig({
      AUTOGEN_RUNTIMES: 'demo=http://127.0.0.1:1;prod=http://127.0.0.1:2', AUTOGEN_RUNTIME_DEMO_TOKEN: 't', AUTOGEN_RUNTIME_PROD_TOKEN: 't',
      AUTOGEN_THRESHOLDS: '{"errorRate": 0.2}', AUTOGEN_RUNTIME_DEMO_THRESHOLDS: '{"queueDepth": 100000, "memoryMb": 4096}',
    });
    expect(findingThresholdsOf(thresholdsFor(loadConfig({}), 'x'))).toEqual(SEED_THRESHOLDS);
    const demo = findingThresholdsOf(thresholdsFor(config, 'demo'));
    const prod = findingThresholdsOf(thresholdsFor(config, 'prod'));
    const backedUp = view([agent('ToolAgent', { error_rate: 0.1 })], { queue_depth: 50, rss_bytes: 1024 * 1024 * 1024 });
    expect(findingsFromView(backedUp, 'ToolAgent')).toEqual(['agent.errors', 'memory_high', 'queue_backlog']);
    expect(findingsFromView(backedUp, 'ToolAgent', prod)).toEqual(['memory_high', 'queue_backlog']);
    expect(findingsFromView(backedUp, 'ToolAgent', demo)).toEqual([]);
  });
});
