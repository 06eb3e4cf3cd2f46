import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem, loadRunbookDir, parseRunbook } from '../../src/response/runbook-loader.js';
import { ACTION_NAMES } from '../../src/response/bridge-actions.js';

const SHIPPED_SCENARIOS = [
  'agent_cascade_failure', 'message_queue_overflow', 'memory_exhaustion', 'network_partition',
  'critical_degradation', 'message_timeout', 'agent_wont_start',
];

describe('shipped runbooks', () => {
  const loaded = loadRunbookDir('runbooks');

  it('every file in runbooks/ loads without a problem', () => {
    expect(loaded.problems.map(formatProblem)).toEqual([]);
    const files = readdirSync('runbooks').filter((f) => f.endsWith('.yaml'));
    expect(loaded.runbooks.map((r) => `${r.id}.yaml`).sort()).toEqual(files.sort());
  });

  it('covers every scenario of the seed guide', () => {
    expect(loaded.runbooks.map((r) => r.scenario).sort()).toEqual([...SHIPPED_SCENARIOS].sort());
  });

  it('the cascade runbook isolates failing agents temporarily and verifies delivery stopped', () => {
    const rb = loaded.runbooks.find((r) => r.scenario === 'agent_cascade_failure');
    expect(rb?.steps[0]).toMatchObject({ action: 'isolate', temporary: true, target: { select: 'failing_agents' } });
    expect(rb?.verify.checks.map((c) => c.check)).toEqual(['isolated', 'no_deliveries']);
    expect(rb?.escalation.max_attempts).toBe(3);
  });

  it('every shipped runbook says what it does to an AgentChat team', () => {
    const without = loaded.runbooks.filter((r) => !r.team_effect || !/team/i.test(r.team_effect)).map((r) => r.id);
    expect(without).toEqual([]);
  });

  it('no shipped runbook speaks of "the seed" (users have the guide and docs/commands.md, not our sources)', () => {
    const words = loaded.runbooks.filter((r) => /\bseed\b/i.test(JSON.stringify(r))).map((r) => r.id);
    expect(words).toEqual([]);
  });

  it('no shipped runbook runs without approval', () => {
    expect(loaded.runbooks.filter((r) => r.approval.auto_run).map((r) => r.id)).toEqual([]);
  });
});

/** Each bad fixture, named by its defect, with the exact problem it must produce. */
const EXPECTED: Record<string, RegExp> = {
  // the known actions are the table's (src/response/bridge-actions.ts), in its order
  'bad-unknown-action.yaml': new RegExp(`bad-unknown-action\\.yaml:9:5 steps\\[0\\]\\.action: unknown action "nuke" \\(known: ${ACTION_NAMES.join(', ')}\\)`),
  'bad-unknown-key.yaml': /bad-unknown-key\.yaml:12:3 approval\.approvers: unknown key "approvers"/,
  'bad-unknown-check.yaml': /bad-unknown-check\.yaml:14:7 verify\.checks\[0\]\.check: unknown check "looks_fine" \(known: isolated,/,
  'bad-unknown-target.yaml': /bad-unknown-target\.yaml:10:5 steps\[0\]\.target: unknown target "everyone" \(known: incident_agent,/,
  'bad-unknown-param.yaml': /bad-unknown-param\.yaml:10:32 steps\[0\]\.params\.max_queue: unknown key "max_queue"/,
  'bad-param-out-of-range.yaml': /bad-param-out-of-range\.yaml:10:15 steps\[0\]\.params\.max_inflight: Too small: expected number to be >=1/,
  'bad-no-approvers.yaml': /bad-no-approvers\.yaml:10:1 approval: names nobody who may approve/,
  'bad-auto-run-high-risk.yaml': /bad-auto-run-high-risk\.yaml:12:3 approval\.auto_run: only a low-risk runbook may run without approval \(this one is high\)/,
  'bad-id-not-file-name.yaml': /bad-id-not-file-name\.yaml:1:1 id: id "some-other-id" must equal the file name "bad-id-not-file-name"/,
  'bad-matches-everything.yaml': /bad-matches-everything\.yaml:5:1 match: needs at least one label or finding/,
  'bad-temporary-restart.yaml': /bad-temporary-restart\.yaml:10:5 steps\[0\]\.temporary: restart cannot be temporary \(the bridge reverts only isolate, backpressure and degrade by themselves\)/,
  'bad-yaml-syntax.yaml': /bad-yaml-syntax\.yaml:11:1 \(document\): YAML syntax: Flow map in block collection must be sufficiently indented and end with a \}$/,
  'bad-duplicate-key.yaml': /bad-duplicate-key\.yaml:12:1 \(document\): YAML syntax: Map keys must be unique$/,
  'bad-bad-user-id.yaml': /bad-bad-user-id\.yaml:11:11 approval\.users\[0\]: must be a Slack user id/,
  'bad-isolate-runtime.yaml': /bad-isolate-runtime\.yaml:10:5 steps\[0\]\.target: isolate needs agent types, not the whole runtime/,
};

describe('bad runbook fixtures', () => {
  const dir = 'test/fixtures/runbooks';
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml')).sort();

  it('every fixture is named by its defect and has an expected message', () => {
    expect(files.every((f) => f.startsWith('bad-'))).toBe(true);
    expect(files).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [file, pattern] of Object.entries(EXPECTED)) {
    it(`${file} is rejected with a precise message`, () => {
      const parsed = parseRunbook(readFileSync(`${dir}/${file}`, 'utf8'), `${dir}/${file}`);
      expect(parsed.runbook).toBeUndefined();
      const lines = parsed.problems.map(formatProblem);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
    });
  }

  it('loading the folder reports every bad file at once and loads none of them', () => {
    const loaded = loadRunbookDir(dir);
    expect(loaded.runbooks).toEqual([]);
    expect(new Set(loaded.problems.map((p) => p.file.split('/').pop()))).toEqual(new Set(files));
  });

  it('a duplicate id across files is a problem naming both files', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'runbooks-'));
    try {
      const text = readFileSync('runbooks/agent-wont-start.yaml', 'utf8');
      writeFileSync(join(tmp, 'agent-wont-start.yaml'), text);
      writeFileSync(join(tmp, 'agent-wont-start.yml'), text);
      const loaded = loadRunbookDir(tmp);
      expect(loaded.runbooks).toHaveLength(1);
      expect(loaded.problems).toHaveLength(1);
      expect(formatProblem(loaded.problems[0]!)).toMatch(/agent-wont-start\.yml id: id "agent-wont-start" is already used by .*agent-wont-start\.yaml/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a missing folder is one problem, not a crash', () => {
    const missing = loadRunbookDir('no/such/folder');
    expect(missing.problems[0]?.message).toMatch(/cannot read the runbook folder/);
  });
});

describe('start-up validation', () => {
  it('a worker refuses to start on a bad runbook folder, listing every problem with file and line', async () => {
    const { loadRunbooksOrThrow } = await import('../../src/response/context.js');
    let err: unknown;
    try {
      loadRunbooksOrThrow('test/fixtures/runbooks');
    } catch (e) {
      err = e;
    }
    const e = err as { code: string; details: { problems: string[] }; message: string };
    expect(e.code).toBe('RUNBOOK_INVALID');
    expect(e.details.problems).toHaveLength(Object.keys(EXPECTED).length);
    expect(e.message).toContain('bad-unknown-action.yaml:9:5 steps[0].action: unknown action "nuke"');
    expect(loadRunbooksOrThrow('runbooks').map((r) => r.id)).toContain('agent-cascade-failure');
  });
});
