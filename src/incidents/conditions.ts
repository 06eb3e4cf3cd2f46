/**
 * "Same condition": the bot's monitor and Alertmanager (Prometheus rules) may both alert on one problem of
 * one agent — `AutoGenAgentHighErrorRate` from the monitor, `AgentHighErrorRate` from a rule. Each alert is
 * given a normalised condition (errors, latency, down, memory, cpu, saturation, backlog) from its `condition`
 * label when it has one, else from its `alertname` through a mapping (defaults below, extended or overridden
 * by ALERT_CONDITIONS: `errors=MyErrorAlert|OtherAlert; latency=SlowThing`). Alerts with the same runtime,
 * agent, group-by values and condition are one voice (src/incidents/voices.ts). An alert whose name maps to
 * no condition, or that names no agent and no runtime, is always its own entry.
 */
import { labelValue } from './alert.js';
import { shortHash } from './fingerprint.js';
import type { GroupingRules } from './grouping.js';

/** Condition → the alert names that mean it (case-sensitive, as Prometheus names them). */
export type ConditionMap = Readonly<Record<string, readonly string[]>>;

export const DEFAULT_CONDITIONS: ConditionMap = Object.freeze({
  errors: ['AutoGenAgentHighErrorRate', 'AutoGenAgentErrors', 'AgentHighErrorRate', 'AgentErrors', 'AgentCascadeFailure', 'HighErrorRate'],
  latency: ['AutoGenAgentSlowResponse', 'AgentSlowResponse', 'AgentHighLatency', 'MessageTimeout', 'HighLatency'],
  down: ['AutoGenRuntimeUnreachable', 'AutoGenAgentDown', 'AgentDown', 'RuntimeDown', 'AgentWontStart'],
  memory: ['AutoGenRuntimeHighMemory', 'MemoryExhaustion', 'HighMemory'],
  cpu: ['AutoGenRuntimeHighCpu', 'HighCpu'],
  saturation: ['AutoGenAgentConcurrencySaturated', 'AutoGenRuntimeConcurrencySaturated'],
  backlog: ['AutoGenRuntimeQueueBacklog', 'MessageQueueOverflow'],
});

/** The label that names a condition outright (its value wins over the alert name). */
export const CONDITION_LABEL = 'condition';

const NAME = /^[A-Za-z_][A-Za-z0-9_:.-]{0,199}$/;
const CONDITION = /^[a-z][a-z0-9_-]{0,39}$/;

/**
 * Parses ALERT_CONDITIONS (`cond=Name|Name; cond=Name`): each named condition replaces the default list of
 * that condition; the other defaults stay. `cond=` (empty) removes a default condition.
 */
export function parseConditions(text: string): { map: ConditionMap; problems: string[] } {
  const map: Record<string, readonly string[]> = { ...DEFAULT_CONDITIONS };
  const problems: string[] = [];
  for (const raw of text.split(';')) {
    const item = raw.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const cond = eq === -1 ? '' : item.slice(0, eq).trim();
    if (!CONDITION.test(cond)) {
      problems.push(`"${item}" is not "condition=AlertName|AlertName" (condition: lower-case letters, digits, _ -)`);
      continue;
    }
    const names = item.slice(eq + 1).split('|').map((n) => n.trim()).filter((n) => n !== '');
    const bad = names.filter((n) => !NAME.test(n));
    if (bad.length > 0) problems.push(`"${item}": ${bad.map((b) => `"${b}"`).join(', ')} is not an alert name`);
    if (names.length === 0) delete map[cond];
    else map[cond] = names.filter((n) => NAME.test(n));
  }
  return { map: Object.freeze(map), problems };
}

/** Alert name → condition, for a map (the last condition listing a name wins). */
function indexOf(map: ConditionMap): Map<string, string> {
  const index = new Map<string, string>();
  for (const [cond, names] of Object.entries(map)) for (const n of names) index.set(n, cond);
  return index;
}

const indexes = new WeakMap<ConditionMap, Map<string, string>>();

/** The normalised condition of an alert with `labels`, or null. */
export function conditionOf(labels: Readonly<Record<string, string>>, map: ConditionMap): string | null {
  const explicit = labels[CONDITION_LABEL];
  if (explicit !== undefined && CONDITION.test(explicit.toLowerCase())) return explicit.toLowerCase();
  let index = indexes.get(map);
  if (!index) indexes.set(map, (index = indexOf(map)));
  const name = labels.alertname;
  return name === undefined ? null : (index.get(name) ?? null);
}

/**
 * The voice key of an alert: runtime, agent (or the runtime as a whole), group-by values and condition,
 * hashed; null when the alert has no condition or names neither an agent nor a runtime.
 */
export function voiceKeyOf(labels: Readonly<Record<string, string>>, rules: GroupingRules, map: ConditionMap): string | null {
  const condition = conditionOf(labels, map);
  if (condition === null) return null;
  const runtime = labelValue(labels, rules.runtimeLabels);
  const agent = labelValue(labels, rules.agentLabels);
  if (runtime === null && agent === null) return null;
  const groupValues = rules.groupBy.map((n) => [n, labels[n] ?? '']);
  return shortHash(JSON.stringify([runtime ?? '', agent ?? '', condition, groupValues]));
}
