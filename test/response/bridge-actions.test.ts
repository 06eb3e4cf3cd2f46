/**
 * The table of bridge actions against what it must agree with: the bridge's OpenAPI document (each
 * action's endpoint, its request body, whether it may be temporary), the runbook schema built from it,
 * the planner, the words and the runbook reference in docs/runbooks.md.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ACTION_NAMES, actionReference, actionSpec, agentsActedOn, BRIDGE_ACTIONS, describeCall, temporaryActionNames, withActionReference, type ActionName,
} from '../../src/response/bridge-actions.js';
import { buildPlan, type PlanInput } from '../../src/response/plan.js';
import { loadRunbookDir } from '../../src/response/runbook-loader.js';
import { ACTIONS, checkSchema, runbookSchema, stepSchema, type Runbook } from '../../src/response/runbook-schema.js';
import { agent, view } from './view-fixture.js';

interface JsonSchema {
  readonly type?: string;
  readonly anyOf?: readonly JsonSchema[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean;
  readonly $ref?: string;
}
interface Operation {
  readonly requestBody?: { readonly content: { readonly 'application/json': { readonly schema: JsonSchema } } };
  readonly 'x-temporary'?: boolean;
}
const openapi = JSON.parse(readFileSync('bridge/openapi.json', 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema> };
};

function requestSchema(path: string): JsonSchema {
  const ref = openapi.paths[path]?.post?.requestBody?.content['application/json'].schema.$ref ?? '';
  const schema = openapi.components.schemas[ref.replace('#/components/schemas/', '')];
  if (!schema) throw new Error(`no request schema for POST ${path}`);
  return schema;
}

const allowsNull = (s: JsonSchema | undefined): boolean => s?.type === 'null' || (s?.anyOf ?? []).some((x) => x.type === 'null');

/** A minimal valid runbook around one step (the superRefine rules run on the whole runbook). */
function runbookWith(step: Record<string, unknown>): unknown {
  return {
    id: 'table-test', title: 'Table test', scenario: 'table_test', risk: 'low',
    match: { labels: { alertname: 'X' } }, steps: [step],
    approval: { users: ['U0ALICE'] }, verify: { checks: [{ check: 'queue_depth_at_most', max: 10 }] },
  };
}

function problemsOf(step: Record<string, unknown>): string[] {
  const r = runbookSchema.safeParse(runbookWith(step));
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

const ENDPOINTS_IN_OPENAPI = Object.entries(openapi.paths)
  .filter(([path, ops]) => /^\/v1\/actions\/[^/{]+$/.test(path) && ops.post)
  .map(([path]) => path)
  .sort();

describe('the table of bridge actions and the bridge', () => {
  it('every action\'s endpoint is a POST of bridge/openapi.json, and every action endpoint there is in the table', () => {
    expect(ACTION_NAMES.map((n) => actionSpec(n).path).sort()).toEqual(ENDPOINTS_IN_OPENAPI);
    expect(ENDPOINTS_IN_OPENAPI.length).toBeGreaterThanOrEqual(7);
  });

  it('"may be temporary" is what the bridge says (x-temporary: it accepts ttl_s)', () => {
    for (const name of ACTION_NAMES) {
      const spec = actionSpec(name);
      expect({ name, temporary: openapi.paths[spec.path]?.post?.['x-temporary'] }).toEqual({ name, temporary: spec.temporary });
    }
  });

  it('the body built from each example is one the bridge\'s request schema accepts (known keys, required ones present, null only where allowed)', () => {
    for (const name of ACTION_NAMES) {
      const spec = actionSpec(name);
      const params = spec.params.parse(spec.example);
      const schema = requestSchema(spec.path);
      const calls = spec.scope === 'runtime'
        ? [{ target: null, targets: ['ToolAgent'] }]
        : spec.scope === 'agent' ? [{ target: 'ToolAgent', targets: ['ToolAgent'] }]
          : [{ target: 'ToolAgent', targets: ['ToolAgent'] }, { target: null, targets: null }];
      for (const call of calls) {
        const body = { ...spec.body(params, call), reason: 'table test', ...(spec.temporary ? { ttl_s: 60 } : {}) };
        const props = schema.properties ?? {};
        expect({ name, unknown: Object.keys(body).filter((k) => !(k in props)) }).toEqual({ name, unknown: [] });
        expect({ name, missing: (schema.required ?? []).filter((k) => !(k in body)) }).toEqual({ name, missing: [] });
        const nulls = Object.entries(body).filter(([, v]) => v === null).map(([k]) => k);
        expect({ name, nullNotAllowed: nulls.filter((k) => !allowsNull(props[k])) }).toEqual({ name, nullNotAllowed: [] });
      }
    }
  });
});

describe('the table of bridge actions and the runbook schema', () => {
  it('the schema\'s actions are the table\'s, in its order', () => {
    expect(ACTIONS).toEqual(Object.keys(BRIDGE_ACTIONS));
    expect(stepSchema.options.map((o) => o.shape.action.value)).toEqual(ACTION_NAMES);
  });

  it('each example is a valid step with the default target; temporary only where the table allows it', () => {
    for (const name of ACTION_NAMES) {
      const spec = actionSpec(name);
      expect({ name, problems: problemsOf({ action: name, params: spec.example }) }).toEqual({ name, problems: [] });
      const temporary = problemsOf({ action: name, params: spec.example, temporary: true });
      if (spec.temporary) expect({ name, temporary }).toEqual({ name, temporary: [] });
      else expect(temporary).toEqual([`steps.0.temporary: ${name} cannot be temporary (the bridge reverts only ${temporaryActionNames()} by themselves)`]);
    }
  });

  it('scope decides which targets a step may have', () => {
    for (const name of ACTION_NAMES) {
      const spec = actionSpec(name);
      const onRuntime = problemsOf({ action: name, params: spec.example, target: 'runtime' });
      const onAgent = problemsOf({ action: name, params: spec.example, target: 'incident_agent' });
      expect({ name, onRuntime: onRuntime.length > 0 }).toEqual({ name, onRuntime: spec.scope === 'agent' });
      // the examples of runtime actions take no agent targets (degrade's shed_targets does: see team-actions.test.ts)
      const takes = spec.takesAgentTargets?.when(spec.params.parse(spec.example)) ?? false;
      expect({ name, onAgent: onAgent.length > 0 }).toEqual({ name, onAgent: spec.scope === 'runtime' && !takes });
    }
    expect(problemsOf({ action: 'isolate', target: 'runtime' })).toEqual(['steps.0.target: isolate needs agent types, not the whole runtime']);
    expect(problemsOf({ action: 'clear_caches', target: 'incident_agent' })).toEqual(['steps.0.target: clear_caches acts on the runtime: use target "runtime"']);
    expect(problemsOf({ action: 'degrade', target: 'incident_agent', params: { features: ['web_search'] } }))
      .toEqual(['steps.0.target: degrade acts on the runtime: use target "runtime" (or shed_targets: true or tools for degrade)']);
  });

  it('the checks that verify each action exist in the check schema', () => {
    const checks = checkSchema.options.map((o) => o.shape.check.value);
    for (const name of ACTION_NAMES) expect(checks).toEqual(expect.arrayContaining([...actionSpec(name).verifiedBy]));
  });

  it('every shipped runbook verifies the effect of each of its steps with one of the action\'s checks', () => {
    const { runbooks } = loadRunbookDir('runbooks');
    const unverified = runbooks.flatMap((rb) => rb.steps
      .filter((s) => !rb.verify.checks.some((c) => (actionSpec(s.action).verifiedBy as readonly string[]).includes(c.check)))
      .map((s) => `${rb.id}: ${s.action}`));
    expect(runbooks.length).toBeGreaterThan(0);
    expect(unverified).toEqual([]);
  });
});

describe('the table of bridge actions and the planner, the words and the reference', () => {
  const NOW = new Date('2026-01-02T03:04:05.000Z');
  const twoAgents = view([agent('ChatAgent'), agent('ToolAgent')]);

  function planOf(name: ActionName, target: string): ReturnType<typeof buildPlan> {
    const runbook = runbookSchema.parse(runbookWith({ action: name, params: actionSpec(name).example, target, temporary: actionSpec(name).temporary })) as Runbook;
    const input: PlanInput = {
      runbook, view: twoAgents, subject: { agent: 'ChatAgent', agents: ['ChatAgent', 'ToolAgent'] }, runtime: 'demo', incidentId: null,
      requestedBy: 'U0ALICE', trigger: 'command', matchReasons: [], planId: 'pl-table-1', now: NOW, approvalTtlS: 900, channel: 'C0OPS', threadTs: null,
    };
    return buildPlan(input);
  }

  it('an agent action is one bridge call per agent, a runtime action one call; each at its endpoint, temporary ones with ttl_s', () => {
    for (const name of ACTION_NAMES) {
      const spec = actionSpec(name);
      const res = planOf(name, spec.scope === 'runtime' ? 'runtime' : 'incident_agents');
      if (!res.ok) throw new Error(`${name}: ${res.problems.join('; ')}`);
      const calls = res.plan.actions;
      expect({ name, calls: calls.length }).toEqual({ name, calls: spec.scope === 'runtime' ? 1 : 2 });
      for (const a of calls) {
        expect(a.path).toBe(spec.path);
        expect(a.body.ttl_s).toBe(spec.temporary ? 900 : undefined);
        expect(a.body.reason).toBe('autogen-ops plan pl-table-1 (table-test)');
        const line = describeCall(a);
        expect(line).not.toMatch(/undefined|\[object/);
        if (a.target) expect(line).toContain(`\`${a.target}\``);
      }
    }
  });

  it('what a degrade sheds and whose tools it switches off count as acted on (named as people name them)', () => {
    const body = { features: [], agent_types: ['RetrieverAgent'], tools: [{ agent_type: 'triage_1', tool: 'lookup_order' }] };
    expect(agentsActedOn({ action: 'degrade', target: null, body })).toEqual(['RetrieverAgent', 'triage_1']);
    expect(describeCall({ action: 'degrade', target: null, body }, { triage_1: 'support/triage' }))
      .toBe('degrade the runtime: features off none; agents shed `RetrieverAgent`; tools off `lookup_order` of `support/triage`');
  });

  it('docs/runbooks.md holds the current reference of actions', () => {
    const doc = readFileSync('docs/runbooks.md', 'utf8');
    expect(doc).toContain(actionReference());
    expect(withActionReference(doc), 'run: npx tsx src/response/bridge-actions.ts --write docs/runbooks.md').toBe(doc);
    for (const name of ACTION_NAMES) expect(actionReference()).toContain(`| \`${name}\` | \`${actionSpec(name).path}\` |`);
  });
});
