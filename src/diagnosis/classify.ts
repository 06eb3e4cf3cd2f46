/**
 * The guide's classification framework (§1.1) and diagnostic flow (§1.2), as pure functions.
 *
 * Every analysis (health, perf, message, logs, trace, inspect) produces `Finding`s — one per check, each
 * tagged with one of the sixteen categories. `classify` picks the category the report is about (the worst,
 * most causal finding) and `buildFlow` lays out classify → collect → analyse → root cause → fix → verify,
 * or escalate with a report when no root cause stands out.
 */

export const LAYERS = {
  infrastructure: { label: 'Infrastructure', categories: ['network', 'storage', 'resources', 'configuration'] },
  integration: { label: 'Integration', categories: ['external_api', 'database', 'cache', 'queue'] },
  runtime: { label: 'Runtime', categories: ['agent_creation', 'state_sync', 'message_delivery', 'performance'] },
  application: { label: 'Application', categories: ['tool_execution', 'model_calls', 'timeouts', 'business_logic'] },
} as const;

export type Layer = keyof typeof LAYERS;
export type Category = (typeof LAYERS)[Layer]['categories'][number];

export const CATEGORY_LABELS: Readonly<Record<Category, string>> = {
  network: 'Network',
  storage: 'Storage',
  resources: 'Resources',
  configuration: 'Configuration',
  agent_creation: 'Agent creation',
  message_delivery: 'Message delivery',
  state_sync: 'State sync',
  performance: 'Performance',
  business_logic: 'Business logic',
  tool_execution: 'Tool execution',
  model_calls: 'Model calls',
  timeouts: 'Timeouts',
  external_api: 'External API',
  database: 'Database',
  cache: 'Cache',
  queue: 'Queue',
};

/**
 * Causal order, most fundamental first: when two problems are equally severe, the one lower in the stack
 * is the likelier root cause (a dead database explains handler errors, not the other way round).
 */
const CAUSAL_ORDER: readonly Category[] = [
  'network', 'storage', 'resources', 'configuration',
  'database', 'cache', 'queue', 'external_api',
  'agent_creation', 'state_sync', 'message_delivery',
  'model_calls', 'tool_execution', 'timeouts', 'business_logic',
  'performance',
];

export function layerOf(category: Category): Layer {
  for (const [layer, def] of Object.entries(LAYERS) as [Layer, (typeof LAYERS)[Layer]][]) {
    if ((def.categories as readonly string[]).includes(category)) return layer;
  }
  /* c8 ignore next */
  throw new Error(`unknown category ${category}`);
}

/** "Integration › Database" */
export function categoryLabel(category: Category): string {
  return `${LAYERS[layerOf(category)].label} › ${CATEGORY_LABELS[category]}`;
}

export type Status = 'ok' | 'warn' | 'fail';
const STATUS_RANK: Readonly<Record<Status, number>> = { ok: 0, warn: 1, fail: 2 };

export function worstStatus(statuses: Iterable<Status>): Status {
  let worst: Status = 'ok';
  for (const s of statuses) if (STATUS_RANK[s] > STATUS_RANK[worst]) worst = s;
  return worst;
}

/** One check's result, with its evidence and — when not ok — the guide's fix. */
export interface Finding {
  /** Stable id of the check, e.g. `health.dependency`, `perf.avg_response`. */
  readonly check: string;
  readonly status: Status;
  readonly category: Category;
  /** The outcome of the check, one line: "Dependency vector-db reachable" / "Dependency vector-db unreachable". */
  readonly title: string;
  /** What was seen: measured value against the threshold, counts, a sample error. */
  readonly evidence: string;
  /** Next steps from the guide (empty when ok). */
  readonly fix: readonly string[];
  /** Agent type, dependency or pattern the finding is about. */
  readonly subject?: string;
  /** How far past its threshold (value / threshold, ≥ 1 when breached); ranks equally bad findings. */
  readonly severity?: number;
  /**
   * Share (0..1) of the symptom this finding accounts for (e.g. the failures a cascade explains). An
   * explanation beats a merely present problem: a failing upstream that matches the errors is a likelier
   * cause than a resource trend lower in the stack. Absent means 0.
   */
  readonly explains?: number;
}

export interface Classification {
  readonly layer: Layer;
  readonly category: Category;
  /** "Runtime › Performance" */
  readonly label: string;
  readonly status: Status;
  /** The finding that decided the category: the probable root cause. */
  readonly primary: Finding;
  /** Every category with a non-ok finding, most causal first. */
  readonly implicated: readonly Category[];
}

function causalRank(c: Category): number {
  return CAUSAL_ORDER.indexOf(c);
}

/** Non-ok findings, most important first: worst status, then what explains the symptom best, then lowest in the stack, then most severe. */
export function rankFindings(findings: readonly Finding[]): Finding[] {
  return findings
    .filter((f) => f.status !== 'ok')
    .sort(
      (a, b) =>
        STATUS_RANK[b.status] - STATUS_RANK[a.status] ||
        (b.explains ?? 0) - (a.explains ?? 0) ||
        causalRank(a.category) - causalRank(b.category) ||
        (b.severity ?? 1) - (a.severity ?? 1),
    );
}

/** The report's category, or null when every check passed. */
export function classify(findings: readonly Finding[]): Classification | null {
  const ranked = rankFindings(findings);
  const primary = ranked[0];
  if (!primary) return null;
  const implicated = [...new Set(ranked.map((f) => f.category))].sort((a, b) => causalRank(a) - causalRank(b));
  return {
    layer: layerOf(primary.category),
    category: primary.category,
    label: categoryLabel(primary.category),
    status: primary.status,
    primary,
    implicated,
  };
}

/** The guide's §1.2 flow as the report states it. */
export interface GuideFlow {
  /** Step 1: "Integration › Database", or "No problem found". */
  readonly classify: string;
  /** Step 2: the data read ("runtime info", "agents", "logs (last 1 h)"). */
  readonly collect: readonly string[];
  /** Step 3: "9 checks: 7 ✅, 1 ⚠️, 1 ❌". */
  readonly analyse: string;
  /** Step 4: the probable root cause, or null when none stands out (or nothing is wrong). */
  readonly rootCause: string | null;
  /** Step 5: what to do, from the guide. */
  readonly fix: readonly string[];
  /** Step 6: how to check that the fix worked (a command to re-run). */
  readonly verify: string | null;
  /** When no root cause is determined: how to escalate (expert analysis with a detailed report). */
  readonly escalate: string | null;
}

export interface FlowInput {
  readonly collected: readonly string[];
  /** The command that re-checks, e.g. `/autogen health demo`. */
  readonly verifyCommand: string;
  /** The command that packages evidence for escalation, e.g. `/autogen snapshot demo`. */
  readonly snapshotCommand: string;
}

export function buildFlow(findings: readonly Finding[], input: FlowInput): GuideFlow {
  const counts = { ok: 0, warn: 0, fail: 0 };
  for (const f of findings) counts[f.status] += 1;
  const parts = [`${counts.ok} ✅`, ...(counts.warn ? [`${counts.warn} ⚠️`] : []), ...(counts.fail ? [`${counts.fail} ❌`] : [])];
  const analyse = `${findings.length} check${findings.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
  const classification = classify(findings);
  if (!classification) {
    return { classify: 'No problem found', collect: input.collected, analyse, rootCause: null, fix: [], verify: null, escalate: null };
  }
  const { primary } = classification;
  if (primary.fix.length === 0) {
    return {
      classify: classification.label,
      collect: input.collected,
      analyse,
      rootCause: null,
      fix: [],
      verify: null,
      escalate: `No root cause stands out: run \`${input.snapshotCommand}\` and hand this report and the snapshot to the team owning the agents.`,
    };
  }
  return {
    classify: classification.label,
    collect: input.collected,
    analyse,
    rootCause: `${primary.title}: ${primary.evidence}`,
    fix: primary.fix,
    verify: `Re-run \`${input.verifyCommand}\` after the fix; if the problem stays, run \`${input.snapshotCommand}\` and escalate.`,
    escalate: null,
  };
}
