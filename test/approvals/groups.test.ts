/**
 * The approver group directory: configured members ∪ Slack's (`usergroups.users.list`), cached with a TTL,
 * refreshed, bounded, coalesced, failing closed. The Slack side is the real Web API client against the
 * sandbox's `usergroups.users.list`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GroupDirectory, slackUserGroupLookup, type UserGroupLookup } from '../../src/approvals/groups.js';
import { createLogger } from '../../src/log.js';
import { parseRunbook } from '../../src/response/runbook-loader.js';
import { createWebClient } from '../../src/slack/client.js';
import { SANDBOX_BOT_TOKEN, startTestSandbox, type Sandbox } from '../support/sandbox.js';

const logger = createLogger({ log: { level: 'silent' } });

function directory(lookup: UserGroupLookup | undefined, opts: { configured?: Record<string, string[]>; ttlMs?: number; maxGroups?: number } = {}) {
  const clock = { ms: 1_000_000 };
  const configured = new Map(Object.entries(opts.configured ?? {}).map(([g, us]) => [g, new Set(us)] as const));
  const dir = new GroupDirectory({ configured, lookup, ttlMs: opts.ttlMs ?? 60_000, logger, now: () => clock.ms, ...(opts.maxGroups ? { maxGroups: opts.maxGroups } : {}) });
  return { dir, clock };
}

/** A scripted lookup that counts its calls. */
function scripted(answers: Record<string, readonly string[] | null | Error>) {
  const calls: string[] = [];
  const lookup: UserGroupLookup = async (g) => {
    calls.push(g);
    const a = answers[g];
    if (a instanceof Error) throw a;
    return a === undefined ? null : a;
  };
  return { lookup, calls, answers };
}

describe('GroupDirectory', () => {
  it('unites configured members with Slack\'s', async () => {
    const s = scripted({ S0SRE: ['U0SLACK'] });
    const { dir } = directory(s.lookup, { configured: { S0SRE: ['U0CONF'], S0OTHER: ['U0X'] } });
    const m = await dir.membersOf(['S0SRE', 'S0OTHER']);
    expect([...(m.get('S0SRE') ?? [])].sort()).toEqual(['U0CONF', 'U0SLACK']);
    expect([...(m.get('S0OTHER') ?? [])]).toEqual(['U0X']);
    expect(await dir.isMember(['S0SRE'], 'U0SLACK')).toBe(true);
    expect(await dir.isMember(['S0SRE'], 'U0NOBODY')).toBe(false);
  });

  it('with look-ups off only configured members count and Slack is never asked', async () => {
    const { dir } = directory(undefined, { configured: { S0SRE: ['U0CONF'] } });
    expect(await dir.isMember(['S0SRE'], 'U0CONF')).toBe(true);
    expect(await dir.isMember(['S0NEW'], 'U0CONF')).toBe(false);
    expect(dir.size).toBe(0);
  });

  it('caches Slack\'s answer for the TTL, then asks again and sees the change', async () => {
    const s = scripted({ S0SRE: ['U0A'] });
    const { dir, clock } = directory(s.lookup, { ttlMs: 10_000 });
    expect(await dir.isMember(['S0SRE'], 'U0A')).toBe(true);
    s.answers.S0SRE = ['U0B'];
    clock.ms += 9_999;
    expect(await dir.isMember(['S0SRE'], 'U0A')).toBe(true);
    expect(s.calls).toEqual(['S0SRE']);
    clock.ms += 1;
    expect(await dir.isMember(['S0SRE'], 'U0A')).toBe(false);
    expect(await dir.isMember(['S0SRE'], 'U0B')).toBe(true);
    expect(s.calls).toEqual(['S0SRE', 'S0SRE']);
  });

  it('concurrent look-ups of one group share one call', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => { release = r; });
    const calls: string[] = [];
    const { dir } = directory(async (g) => { calls.push(g); await gate; return ['U0A']; });
    const all = Promise.all(Array.from({ length: 20 }, () => dir.isMember(['S0SRE'], 'U0A')));
    release();
    expect(await all).toEqual(Array.from({ length: 20 }, () => true));
    expect(calls).toEqual(['S0SRE']);
  });

  it('a failed refresh uses the last answer for one more TTL, then only configured members (fail closed)', async () => {
    const s = scripted({ S0SRE: ['U0A'] });
    const { dir, clock } = directory(s.lookup, { ttlMs: 10_000, configured: { S0SRE: ['U0CONF'] } });
    expect(await dir.isMember(['S0SRE'], 'U0A')).toBe(true);
    s.answers.S0SRE = new Error('ratelimited');
    clock.ms += 15_000;
    expect(await dir.isMember(['S0SRE'], 'U0A')).toBe(true);
    clock.ms += 5_000;
    expect(await dir.isMember(['S0SRE'], 'U0A')).toBe(false);
    expect(await dir.isMember(['S0SRE'], 'U0CONF')).toBe(true);
  });

  it('a group Slack does not know has no Slack members; its configured ones still count', async () => {
    const s = scripted({});
    const { dir } = directory(s.lookup, { configured: { S0GONE: ['U0CONF'] } });
    expect(await dir.isMember(['S0GONE'], 'U0CONF')).toBe(true);
    expect(await dir.isMember(['S0GONE'], 'U0A')).toBe(false);
  });

  it('keeps at most maxGroups groups, evicting the least recently used', async () => {
    const s = scripted({ S0A: ['U1'], S0B: ['U1'], S0C: ['U1'] });
    const { dir } = directory(s.lookup, { maxGroups: 2 });
    await dir.membersOf(['S0A']);
    await dir.membersOf(['S0B']);
    await dir.membersOf(['S0A']); // A is now the most recent
    await dir.membersOf(['S0C']); // evicts B
    expect(dir.size).toBe(2);
    await dir.membersOf(['S0A']);
    expect(s.calls).toEqual(['S0A', 'S0B', 'S0C']);
    await dir.membersOf(['S0B']);
    expect(s.calls).toEqual(['S0A', 'S0B', 'S0C', 'S0B']);
  });
});

describe('usergroups.users.list through the Web API client (sandbox)', () => {
  let sandbox: Sandbox;
  beforeAll(async () => { sandbox = await startTestSandbox(); });
  afterAll(() => sandbox.stop());

  const lookup = () => slackUserGroupLookup(createWebClient({ slack: { botToken: SANDBOX_BOT_TOKEN, apiUrl: sandbox.apiUrl, requestTimeoutMs: 2_000 } } as never));

  it('lists the members of a defined group, null for an unknown one, and throws on a rate limit', async () => {
    sandbox.defineUserGroup('S0SANDBOXSRE', ['U0A', 'U0B']);
    sandbox.defineUserGroup('S0OLD', ['U0C'], { disabled: true });
    const l = lookup();
    expect(await l('S0SANDBOXSRE')).toEqual(['U0A', 'U0B']);
    expect(await l('S0NOSUCH')).toBeNull();
    expect(await l('S0OLD')).toBeNull();
    sandbox.rateLimit('usergroups.users.list', 30);
    await expect(l('S0SANDBOXSRE')).rejects.toThrow();
    expect(sandbox.callsOf('usergroups.users.list').map((c) => c.args.usergroup)).toEqual(['S0SANDBOXSRE', 'S0NOSUCH', 'S0OLD', 'S0SANDBOXSRE']);
  });
});

describe('runbook syntax for approver groups', () => {
  const runbook = (groups: string): string => [
    'id: group-test', 'title: t', 'scenario: s', 'risk: medium', 'match:', '  findings: [timeout]',
    'steps:', '  - action: backpressure', '    target: incident_agent', '    params: { max_inflight: 2 }',
    'approval:', `  groups: ${groups}`, 'verify:', '  checks:', '    - check: backpressured', '      target: incident_agent',
  ].join('\n');

  it('accepts Slack user group ids and refuses handles (they can be renamed)', () => {
    expect(parseRunbook(runbook('[S0123ABCD, S0SRE]'), 'runbooks/group-test.yaml').runbook?.approval.groups).toEqual(['S0123ABCD', 'S0SRE']);
    const refused = parseRunbook(runbook('["@oncall"]'), 'runbooks/group-test.yaml');
    expect(refused.runbook).toBeUndefined();
    expect(refused.problems[0]).toMatchObject({ path: 'approval.groups[0]', message: 'must be a Slack user group id such as S012ABCDEF' });
  });
});
