/**
 * The table of the bridge's control actions: one entry per action answers every question the bot asks
 * about it — its bridge endpoint, what it may act on, whether the bridge reverts it by itself, the
 * parameters a runbook step gives it, the body sent to the bridge, the words that describe it and the
 * checks that show it took effect. The runbook schema, the planner, the client's calls, the plan message
 * and the runbook reference (`docs/runbooks.md`) all read it; a new action is one entry here plus its
 * endpoint in the bridge (docs/internals.md, "How to add a bridge action").
 *
 * Plain data and plain text: nothing here knows Slack (names come back in backticks, escaped by the
 * presenter that shows them).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { AGENT_TYPE_RE } from '../identifiers.js';
import type { ActionPath } from '../runtime/client.js';

/** Agent type names as autogen-core accepts them (`^[\w\-\.]+\Z`). */
export const AGENT_TYPE = z.string().regex(AGENT_TYPE_RE, 'must be an AutoGen agent type name (letters, digits, _ - .)');
/** A feature name the runtime registered (see `features` in `/v1/runtime`). */
export const FEATURE = z.string().regex(/^[\w.-]{1,100}$/, 'must be a feature name (letters, digits, _ - .)');
/** The name of an AgentChat participant's tool (a Python identifier, as AutoGen's FunctionTool names them). */
const TOOL = z.string().regex(/^[\w.-]{1,100}$/, 'must be a tool name (letters, digits, _ - .)');

/**
 * What an action may act on:
 * - `agent`: agent types only — one bridge call per resolved agent type (`agent_type` in the body);
 * - `agent_or_runtime`: one call per agent type, or one call for the runtime (`agent_type: null`);
 * - `runtime`: the runtime as a whole — one call per step, whatever the target (an entry's
 *   `takesAgentTargets` says when a step's agent targets go into that one body instead).
 */
export type ActionScope = 'agent' | 'agent_or_runtime' | 'runtime';

/** The verify checks a runbook can declare (kept in step with `checkSchema` by test/response/bridge-actions.test.ts). */
export type EffectCheck =
  | 'isolated' | 'no_deliveries' | 'new_errors_at_most' | 'error_rate_at_most' | 'backpressured' | 'inflight_at_most'
  | 'queue_depth_at_most' | 'rss_at_most_mb' | 'rss_not_growing' | 'features_disabled' | 'runtime_degraded'
  | 'agent_running' | 'handling_messages' | 'latency_p95_at_most_ms';

/** The call being built: the agent type it acts on (null: the runtime) and every agent type the step resolved. */
export interface ActionCall {
  readonly target: string | null;
  /** The step's resolved agent types (null when it targets the runtime). */
  readonly targets: readonly string[] | null;
}

/** One bridge action. `P` is its runbook `params` schema (with its defaults). */
export interface ActionSpec<P extends z.ZodType = z.ZodType> {
  /** The bridge endpoint (`POST`); test/response/bridge-actions.test.ts checks it is in bridge/openapi.json. */
  readonly path: ActionPath;
  readonly scope: ActionScope;
  /** The bridge reverts it by itself after `ttl_s` (a runbook step may be `temporary`). */
  readonly temporary: boolean;
  /** A runbook step's `params`, exactly as the runbook writes them. */
  readonly params: P;
  /** Example `params` (test/response/bridge-actions.test.ts sends its body through the bridge's schema). */
  readonly example: z.input<P>;
  /** The bridge body (without `ttl_s`, `reason` and `dry_run`, which the planner adds). */
  body(params: z.output<P>, call: ActionCall): Record<string, unknown>;
  /**
   * One line for people: `what` is "`ToolAgent`" or "the runtime", `name(type)` an agent type as people name
   * it, in backticks.
   */
  describe(body: Readonly<Record<string, unknown>>, what: string, name: (type: string) => string): string;
  /**
   * Agent types the body acts on besides its target (agents a degrade sheds, owners of tools it switches
   * off, agents a restore brings back): named as people name them, read when the plan is judged.
   */
  actsOn?(body: Readonly<Record<string, unknown>>): string[];
  /**
   * For a `runtime` action: whether this step's agent targets go into its body (so an agent target is
   * allowed), and the parameters that do it, for the runbook error ("shed_targets: true or tools").
   */
  readonly takesAgentTargets?: { when(params: z.output<P>): boolean; readonly hint: string };
  /** The selector used when a step gives no target (default: `runtime` for runtime actions, else `incident_agent`). */
  defaultTarget?(params: z.output<P>): 'incident_agent' | 'runtime';
  /** A problem with the step's params or target beyond the schema (shown as a runbook error), or undefined. */
  stepProblem?(params: z.output<P>, select: string | undefined): { readonly path: 'params' | 'target'; readonly message: string } | undefined;
  /** Verify checks that show this action took effect (the runbook reference suggests them). */
  readonly verifiedBy: readonly EffectCheck[];
  /** The runbook reference's row: parameters (`name` [default]) and notes, as markdown. */
  readonly doc: { readonly params: string; readonly notes: string };
}

function action<P extends z.ZodType>(spec: ActionSpec<P>): ActionSpec<P> {
  return spec;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const toolRefs = (v: unknown): { agent_type: string; tool: string }[] =>
  (Array.isArray(v) ? v.filter((x): x is { agent_type: string; tool: string } => typeof x === 'object' && x !== null) : []);

/**
 * Every action, in the order the runbook reference lists them. The key is the runbook's `action` name;
 * the entry's `path` is the bridge's endpoint.
 */
export const BRIDGE_ACTIONS = {
  isolate: action({
    path: '/v1/actions/isolate',
    scope: 'agent',
    temporary: true,
    params: z.strictObject({
      mode: z.enum(['refuse', 'hold']).default('refuse'),
      hold_timeout_s: z.number().positive().max(3600).optional(),
    }).default({ mode: 'refuse' }),
    example: { mode: 'refuse' },
    body: (p, { target }) => ({ agent_type: target, mode: p.mode, ...(p.hold_timeout_s !== undefined ? { hold_timeout_s: p.hold_timeout_s } : {}) }),
    describe: (b, what) => `isolate ${what} (mode ${String(b.mode)})`,
    verifiedBy: ['isolated', 'no_deliveries'],
    doc: { params: '`mode: refuse\\|hold` [refuse], `hold_timeout_s`', notes: 'state saved, leaves routing (the guide\'s four isolation steps)' },
  }),
  release: action({
    path: '/v1/actions/release',
    scope: 'agent',
    temporary: false,
    params: z.strictObject({}).default({}),
    example: {},
    body: (_p, { target }) => ({ agent_type: target }),
    describe: (_b, what) => `release ${what}`,
    verifiedBy: ['handling_messages'],
    doc: { params: '—', notes: 'restores saved state' },
  }),
  restart: action({
    path: '/v1/actions/restart',
    scope: 'agent',
    temporary: false,
    params: z.strictObject({ agent_key: z.string().regex(/^[\w.-]{1,200}$/).default('default') }).default({ agent_key: 'default' }),
    example: { agent_key: 'default' },
    body: (p, { target }) => ({ agent_type: target, agent_key: p.agent_key }),
    describe: (b, what, name) => `restart ${what} (instance ${name(String(b.agent_key))})`,
    verifiedBy: ['agent_running', 'handling_messages'],
    doc: { params: '`agent_key` [default]', notes: 'a failed recreation counts as a failed action' },
  }),
  backpressure: action({
    path: '/v1/actions/backpressure',
    scope: 'agent_or_runtime',
    temporary: true,
    params: z.strictObject({
      max_inflight: z.int().min(1).max(10_000).nullable(),
      max_wait_s: z.number().positive().max(3600).default(30),
    }),
    example: { max_inflight: 4, max_wait_s: 30 },
    body: (p, { target }) => ({ agent_type: target, max_inflight: p.max_inflight, max_wait_s: p.max_wait_s }),
    describe: (b, what) => `backpressure ${what}: max in-flight ${b.max_inflight === null ? 'unlimited' : String(b.max_inflight)}, senders wait up to ${String(b.max_wait_s)} s`,
    verifiedBy: ['backpressured', 'inflight_at_most'],
    doc: { params: '`max_inflight` 1..10000 or null (required), `max_wait_s` [30]', notes: 'target `runtime` = runtime-wide' },
  }),
  degrade: action({
    path: '/v1/actions/degrade',
    scope: 'runtime',
    temporary: true,
    params: z.strictObject({
      features: z.array(FEATURE).max(50).default([]),
      agent_types: z.array(AGENT_TYPE).max(50).default([]),
      /** Also shed the step's resolved target agent types (e.g. `unreachable_dependents`). */
      shed_targets: z.boolean().default(false),
      /**
       * Tools switched off on each resolved target (AgentChat participants): each answers "switched off by
       * AutoGen Ops" instead of running, the participant keeps calling its model. Needs an agent target.
       */
      tools: z.array(TOOL).max(20).default([]),
    }),
    example: { features: ['web_search'], shed_targets: true },
    body: (p, { targets }) => {
      const shed = p.shed_targets && targets ? targets : [];
      // Tools are switched off on each target participant (the bridge's `tools: [{agent_type, tool}]`).
      const tools = p.tools.length > 0 && targets
        ? targets.flatMap((agentType) => p.tools.map((tool) => ({ agent_type: agentType, tool })))
        : [];
      return { features: [...p.features], agent_types: [...new Set([...p.agent_types, ...shed])].sort(), ...(tools.length > 0 ? { tools } : {}) };
    },
    describe: (b, _what, name) => {
      const f = strings(b.features);
      const t = strings(b.agent_types);
      const off = toolRefs(b.tools).map((x) => `${name(x.tool)} of ${name(x.agent_type)}`);
      if (off.length > 0 && f.length === 0 && t.length === 0) return `switch off the tool(s) ${off.join(', ')}`;
      return `degrade the runtime: features off ${f.length ? f.map(name).join(', ') : 'none'}; agents shed ${t.length ? t.map(name).join(', ') : 'none'}${off.length ? `; tools off ${off.join(', ')}` : ''}`;
    },
    actsOn: (b) => [...strings(b.agent_types), ...toolRefs(b.tools).map((t) => t.agent_type)],
    takesAgentTargets: { when: (p) => p.shed_targets || p.tools.length > 0, hint: 'shed_targets: true or tools' },
    defaultTarget: (p) => (p.tools.length > 0 ? 'incident_agent' : 'runtime'),
    stepProblem: (p, select) => {
      if (p.features.length === 0 && p.agent_types.length === 0 && !p.shed_targets && p.tools.length === 0) {
        return { path: 'params', message: 'degrade needs features, agent_types, tools or shed_targets: true' };
      }
      if (p.tools.length > 0 && select === 'runtime') {
        return { path: 'target', message: 'degrade with tools switches off tools of participants: give an agent target (e.g. incident_agent), not the runtime' };
      }
      return undefined;
    },
    verifiedBy: ['features_disabled', 'runtime_degraded', 'no_deliveries'],
    doc: {
      params: '`features` [[]], `agent_types` [[]], `shed_targets` [false], `tools` [[]]',
      notes: '`shed_targets: true` adds the step\'s resolved targets to `agent_types`; `tools: [lookup_order]` switches off those tools of each resolved target (AgentChat participants; default target `incident_agent`, not `runtime`): the tool answers "switched off by AutoGen Ops" and the participant keeps calling its model — a tool a participant lacks makes the dry run fail (`TOOL_NOT_FOUND`) and the plan unavailable',
    },
  }),
  restore: action({
    path: '/v1/actions/restore',
    scope: 'runtime',
    temporary: false,
    params: z.strictObject({
      features: z.array(FEATURE).max(50).default([]),
      agent_types: z.array(AGENT_TYPE).max(50).default([]),
    }).default({ features: [], agent_types: [] }),
    example: { features: ['web_search'] },
    body: (p) => ({ features: [...p.features], agent_types: [...p.agent_types] }),
    describe: () => 'restore the runtime from degraded mode',
    actsOn: (b) => strings(b.agent_types),
    verifiedBy: ['handling_messages'],
    doc: { params: '`features` [[]], `agent_types` [[]]', notes: 'empty lists restore everything' },
  }),
  clear_caches: action({
    path: '/v1/actions/clear-caches',
    scope: 'runtime',
    temporary: false,
    params: z.strictObject({ names: z.array(z.string().min(1).max(100)).max(50).default([]) }).default({ names: [] }),
    example: { names: ['retrieval_cache'] },
    body: (p) => ({ names: [...p.names] }),
    describe: (b, _what, name) => {
      const n = strings(b.names);
      return `clear caches (${n.length ? n.map(name).join(', ') : 'every registered cache'})`;
    },
    verifiedBy: ['rss_not_growing', 'rss_at_most_mb'],
    doc: { params: '`names` [[] = every hook]', notes: '' },
  }),
  collect_garbage: action({
    path: '/v1/actions/collect-garbage',
    scope: 'runtime',
    temporary: false,
    params: z.strictObject({ generation: z.int().min(0).max(2).default(2) }).default({ generation: 2 }),
    example: { generation: 2 },
    body: (p) => ({ generation: p.generation }),
    describe: (b) => `collect garbage in the runtime's process (generation ${String(b.generation)}${b.generation === 2 ? ': a full collection' : ''})`,
    verifiedBy: ['rss_not_growing', 'rss_at_most_mb'],
    doc: { params: '`generation` 0..2 [2]', notes: 'a forced collection (the guide\'s first answer to memory exhaustion); the event loop pauses while it runs (`after.pause_ms`)' },
  }),
} as const;

export type BridgeActions = typeof BRIDGE_ACTIONS;
/** A runbook step's `action`. */
export type ActionName = keyof BridgeActions;
/** The runbook names of every action, in the table's order. */
export const ACTION_NAMES = Object.keys(BRIDGE_ACTIONS) as ActionName[];

/** An entry whose params are not known statically (its functions accept what its schema parsed). */
export function actionSpec(name: ActionName): ActionSpec {
  return BRIDGE_ACTIONS[name] as ActionSpec;
}

/** "a, b and c" (or "a, b or c"). */
function listed(items: readonly string[], last: 'and' | 'or'): string {
  return items.length > 1 ? `${items.slice(0, -1).join(', ')} ${last} ${items.at(-1) ?? ''}` : items.join('');
}

/** The actions a step may make temporary, for messages ("isolate, backpressure and degrade"). */
export function temporaryActionNames(): string {
  return listed(ACTION_NAMES.filter((n) => BRIDGE_ACTIONS[n].temporary), 'and');
}

/** The selector a step uses when its runbook gives none. */
export function defaultSelectOf(name: ActionName, params: unknown): 'incident_agent' | 'runtime' {
  const spec = actionSpec(name);
  return spec.defaultTarget?.(params) ?? (spec.scope === 'runtime' ? 'runtime' : 'incident_agent');
}

/**
 * The problems of one runbook step against its action's entry: a target the action cannot act on, a
 * `temporary` the bridge would refuse, and the entry's own rules.
 */
export function stepProblems(step: { readonly action: ActionName; readonly params: unknown; readonly temporary: boolean; readonly target?: { readonly select: string } | undefined }): { path: 'params' | 'target' | 'temporary'; message: string }[] {
  const spec = actionSpec(step.action);
  const select = step.target?.select;
  const out: { path: 'params' | 'target' | 'temporary'; message: string }[] = [];
  const own = spec.stepProblem?.(step.params, select);
  if (own?.path === 'params') out.push(own);
  const takes = spec.takesAgentTargets;
  if (spec.scope === 'runtime' && select !== undefined && select !== 'runtime' && !(takes?.when(step.params) ?? false)) {
    out.push({ path: 'target', message: `${step.action} acts on the runtime: use target "runtime"${takes ? ` (or ${takes.hint} for ${step.action})` : ''}` });
  }
  if (own?.path === 'target') out.push(own);
  if (spec.scope === 'agent' && select === 'runtime') out.push({ path: 'target', message: `${step.action} needs agent types, not the whole runtime` });
  if (step.temporary && !spec.temporary) {
    out.push({ path: 'temporary', message: `${step.action} cannot be temporary (the bridge reverts only ${temporaryActionNames()} by themselves)` });
  }
  return out;
}

/** One bridge call per resolved agent type (else one call for the step). */
export function callsPerAgent(name: ActionName, agentTypes: readonly string[] | null): boolean {
  return agentTypes !== null && actionSpec(name).scope !== 'runtime';
}

/** The agent types one planned call acts on: its target and those its body names (shed, tools' owners, restored). */
export function agentsActedOn(a: { readonly action: ActionName; readonly target: string | null; readonly body: Readonly<Record<string, unknown>> }): string[] {
  const spec = BRIDGE_ACTIONS[a.action] as ActionSpec | undefined;
  return [...(a.target ? [a.target] : []), ...(spec?.actsOn?.(a.body) ?? [])];
}

/**
 * The agents one call acts on as an audit entry records them: its target as people name it (`agent`, e.g.
 * `support/triage` from the plan's `names`) beside its registered type (`agent_type`), and every agent it
 * acts on (`agents` / `agent_types`, in the same order) — a degrade of the runtime has no target but sheds agents.
 */
export function auditAgentsOf(
  a: { readonly action: ActionName; readonly target: string | null; readonly body: Readonly<Record<string, unknown>> },
  names: Readonly<Record<string, string>> | undefined,
): { agent?: string; agent_type?: string; agents?: string[]; agent_types?: string[] } {
  const types = [...new Set(agentsActedOn(a))];
  const name = (t: string): string => names?.[t] ?? t;
  return { ...(a.target ? { agent: name(a.target), agent_type: a.target } : {}), ...(types.length > 0 ? { agents: types.map(name), agent_types: types } : {}) };
}

/** A name in backticks, as plain text (a backtick in it cannot close the span once escaped as mrkdwn). */
const quoted = (name: string): string => `\`${name.replace(/`/g, "'")}\``;

/**
 * "isolate `ToolAgent` (mode refuse)" — one line per planned call, plain text with names in backticks, for
 * plans, outcomes, escalations, notes, audit and attempts (escaped by whoever shows it). `names`: the plan's
 * names for agent types (an AgentChat participant is `support/triage`, not its registered type).
 */
export function describeCall(a: { readonly action: ActionName; readonly target: string | null; readonly body: Readonly<Record<string, unknown>> }, names?: Readonly<Record<string, string>>): string {
  const name = (type: string): string => quoted(names?.[type] ?? type);
  const what = a.target ? name(a.target) : 'the runtime';
  // a plan stored by another version may name an action this one does not have
  const spec = BRIDGE_ACTIONS[a.action] as ActionSpec | undefined;
  return spec ? spec.describe(a.body, what, name) : `${String(a.action)} ${what}`;
}

/** The runbook reference's table of actions (docs/runbooks.md holds this output between its markers). */
export function actionReference(): string {
  const rows = ACTION_NAMES.map((n) => {
    const s = actionSpec(n);
    const notes = [
      s.scope === 'agent' ? 'acts on agent types' : s.scope === 'runtime' ? 'acts on the runtime' : '',
      s.doc.notes,
      s.temporary ? 'may be temporary' : 'cannot be temporary',
      `verify with ${listed(s.verifiedBy.map((c) => `\`${c}\``), 'or')}`,
    ].filter((x) => x !== '').join('; ');
    return `| \`${n}\` | \`${s.path}\` | ${s.doc.params} | ${notes} |`;
  });
  return ['| action | bridge endpoint | params | notes |', '|---|---|---|---|', ...rows].join('\n');
}

/** The markers around the generated table in docs/runbooks.md. */
export const REFERENCE_MARKERS = ['<!-- bridge-actions:begin (generated: npx tsx src/response/bridge-actions.ts --write docs/runbooks.md) -->', '<!-- bridge-actions:end -->'] as const;

/** `text` with the part between the markers replaced by the current reference (the markers stay). */
export function withActionReference(text: string): string {
  const [begin, end] = REFERENCE_MARKERS;
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`the markers ${begin} … ${end} are missing`);
  return `${text.slice(0, from + begin.length)}\n${actionReference()}\n${text.slice(to)}`;
}

// `npx tsx src/response/bridge-actions.ts` prints the reference; `--write <file>` updates it in place.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2] === '--write' ? process.argv[3] : undefined;
  if (file === undefined) process.stdout.write(`${actionReference()}\n`);
  else writeFileSync(file, withActionReference(readFileSync(file, 'utf8')));
}
