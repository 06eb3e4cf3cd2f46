/**
 * The fault matrix: which application runs, which fault is turned on, what has to be observed before the
 * bot is asked, and what a senior SRE says the true answer is. The expectations are the truth of each case,
 * never what the bot happens to say.
 *
 * `health` is asked where the guide's health check covers the fault (errors, dependencies); a slow agent
 * and a memory trend belong to `perf` and `diagnose`.
 */
import type { AgentSummary, RuntimeInfo } from '../../src/runtime/schemas.js';
import type { Expectation, Question } from './score.js';

/** What the runner reads from the bridge while it waits. */
export interface Snapshot {
  readonly info: RuntimeInfo;
  readonly agents: readonly AgentSummary[];
}

/** A condition on the bridge's figures now and when the fault was turned on. */
export type Condition = (now: Snapshot, atFault: Snapshot) => boolean;

export interface MatrixCase {
  readonly id: string;
  readonly title: string;
  /** `python -m fault_apps <app>` */
  readonly app: string;
  /** Agents that must be up and handling traffic before the fault (AgentChat participants by name). */
  readonly agents: readonly string[];
  /** The fault and the agent it hits; none for the healthy case. */
  readonly fault?: { readonly name: string; readonly agent: string; readonly when?: (now: Snapshot) => boolean };
  /** What must be observed after the fault before the bot is asked. */
  readonly until: Condition;
  readonly questions: readonly Question[];
}

/** An agent type by name; an AgentChat participant `<name>` is registered as `<name>_<team id>`. */
export function findAgent(agents: readonly AgentSummary[], name: string): AgentSummary | undefined {
  const prefix = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`);
  return agents.find((a) => a.type === name) ?? agents.find((a) => prefix.test(a.type));
}

const handled = (s: Snapshot, name: string): number => findAgent(s.agents, name)?.handled_total ?? 0;
const errors = (s: Snapshot, name: string): number => findAgent(s.agents, name)?.errors_total ?? 0;

const errorsSinceFault = (name: string, n: number): Condition => (now, f) => errors(now, name) - errors(f, name) >= n;
const handledSinceFault = (name: string, n: number): Condition => (now, f) => handled(now, name) - handled(f, name) >= n;
const slowest = (name: string, ms: number): Condition => (now) => (findAgent(now.agents, name)?.latency_ms?.max ?? 0) >= ms;
const rssGrownMb = (mb: number): Condition => (now, f) => (now.info.rss_bytes ?? 0) - (f.info.rss_bytes ?? 0) >= mb * 1024 * 1024;
const every = (...conditions: Condition[]): Condition => (now, f) => conditions.every((c) => c(now, f));

// --- the truths, shared by the cases of one shape ---------------------------------------------------------

const healthy: Expectation = { verdict: ['healthy'], noLeak: true };

function refusedDatabase(origin: readonly string[]): Expectation {
  return { verdict: ['failing'], category: ['database'], origin, fix: /database|orders-db/i, noLeak: true };
}

function ordersCase(id: string, app: string, title: string): MatrixCase {
  return {
    id,
    title,
    app,
    agents: ['OrderDesk', 'PriceOracle', 'StockKeeper'],
    fault: { name: 'db_refuses', agent: 'StockKeeper' },
    until: every(errorsSinceFault('OrderDesk', 20), errorsSinceFault('StockKeeper', 20)),
    questions: [
      { tool: 'diagnose', agent: 'OrderDesk', expect: refusedDatabase(['StockKeeper']) },
      { tool: 'perf', expect: refusedDatabase(['StockKeeper']) },
      { tool: 'health', expect: refusedDatabase(['StockKeeper', 'orders-db']) },
    ],
  };
}

const fareTimeout = (origin: readonly string[]): Expectation => ({
  verdict: ['failing'], category: ['timeouts', 'external_api'], origin, fix: /time ?out|timed out|fares-api/i, noLeak: true,
});

const toolBackendRefuses = (origin: readonly string[]): Expectation => ({
  verdict: ['failing'], category: ['tool_execution', 'external_api'], origin, fix: /tool|inventory|service|connection/i, noLeak: true,
});

const rateLimited = (origin: readonly string[]): Expectation => ({
  verdict: ['failing'], category: ['model_calls'], origin, fix: /rate.?limit|quota|429|back-?off/i, noLeak: true,
});

/** A tool whose database refuses: the dependency's declared kind (database) names the category. */
const toolDatabaseRefuses = (origin: readonly string[]): Expectation => ({
  verdict: ['failing'], category: ['database'], origin, fix: /database|orders-db|lookup_order/i, noLeak: true,
});

/** A tool whose API stops answering: AgentChat keeps only `str(exc)` of its TimeoutError, which is empty. */
const toolTimesOut = (origin: readonly string[]): Expectation => ({
  verdict: ['failing'], category: ['timeouts', 'tool_execution'], origin, fix: /time ?out|timed out|tool|fetch_rates|rates-api/i, noLeak: true,
});

/** Runs that end only because `max_turns` is exhausted: no failure, but the answer has to say so. */
const stoppedByMaxTurns: Expectation = { verdict: ['healthy'], mentions: /max(imum)?[ _]turns/i, noLeak: true };

const slowAgent: Expectation = {
  verdict: ['failing'], category: ['performance'], origin: ['Summarizer'], fix: /async|blocking|slow|instances|latency/i, noLeak: true,
};

const leak: Expectation = { verdict: ['failing'], category: ['resources'], fix: /leak|memory|cache|restart|unclosed|profile/i };

const templateErrors = (verdict: Expectation['verdict']): Expectation => ({
  verdict, category: ['business_logic'], origin: ['Notifier'], fix: /handler|logic|exception|template|traceback/i, noLeak: true,
});

/** Summarizer's completions before the fault: a long fast history the long stats window still holds. */
const FAST_HISTORY = 350;
/** Slow completions to wait for: the bridge's 20 s recent window full of them at 10 a second. */
const SLOW_COMPLETIONS = 200;

export const CASES: readonly MatrixCase[] = [
  ordersCase('a', 'orders-reraise', 'downstream database refuses; the front re-raises as is'),
  ordersCase('b', 'orders-wrap', 'downstream database refuses; the front wraps (raise … from exc)'),
  ordersCase('c', 'orders-opaque', 'downstream database refuses; the front raises a new generic error'),
  {
    id: 'd',
    title: 'three hops: Concierge → Itinerary → FareFinder, whose API times out',
    app: 'travel',
    agents: ['Concierge', 'Itinerary', 'FareFinder'],
    fault: { name: 'fares_timeout', agent: 'FareFinder' },
    until: every(errorsSinceFault('Concierge', 20), errorsSinceFault('FareFinder', 20)),
    questions: [
      { tool: 'diagnose', agent: 'Concierge', expect: fareTimeout(['FareFinder']) },
      { tool: 'perf', expect: fareTimeout(['FareFinder']) },
      { tool: 'health', expect: fareTimeout(['FareFinder', 'fares-api']) },
    ],
  },
  {
    id: 'e',
    title: 'AgentChat team: a tool whose backend refuses connections',
    app: 'team-tool',
    agents: ['researcher', 'stock_checker'],
    fault: { name: 'tool_backend_refuses', agent: 'stock_checker' },
    // AgentChat turns the tool's exception into an error result: count the tool-calling turns, not errors.
    until: handledSinceFault('stock_checker', 60),
    questions: [
      { tool: 'diagnose', agent: 'stock_checker', expect: toolBackendRefuses(['stock_checker']) },
      { tool: 'perf', expect: toolBackendRefuses(['stock_checker', 'check_inventory', 'inventory-api']) },
      { tool: 'health', expect: toolBackendRefuses(['stock_checker', 'check_inventory', 'inventory-api']) },
    ],
  },
  {
    id: 'f',
    title: 'AgentChat team: the writer\'s model endpoint answers 429 (RateLimitError)',
    app: 'team-model',
    agents: ['researcher', 'writer'],
    fault: { name: 'rate_limit', agent: 'writer' },
    until: errorsSinceFault('writer', 20),
    questions: [
      { tool: 'diagnose', agent: 'writer', expect: rateLimited(['writer']) },
      { tool: 'perf', expect: rateLimited(['writer']) },
      { tool: 'health', expect: rateLimited(['writer']) },
    ],
  },
  {
    id: 'g',
    title: 'Summarizer becomes slow: 3 s a message after a long fast history',
    app: 'slow',
    agents: ['Summarizer', 'Translator'],
    fault: { name: 'slow', agent: 'Summarizer', when: (now) => handled(now, 'Summarizer') >= FAST_HISTORY },
    until: every(handledSinceFault('Summarizer', SLOW_COMPLETIONS), slowest('Summarizer', 2_900)),
    questions: [
      { tool: 'diagnose', agent: 'Summarizer', expect: slowAgent },
      { tool: 'perf', expect: slowAgent },
    ],
  },
  {
    id: 'h',
    title: 'SessionStore\'s cache stops evicting: memory grows steadily',
    app: 'leak',
    agents: ['Frontline', 'SessionStore'],
    fault: { name: 'leak', agent: 'SessionStore' },
    until: rssGrownMb(30),
    questions: [
      { tool: 'diagnose', agent: 'SessionStore', expect: leak },
      { tool: 'perf', expect: leak },
    ],
  },
  {
    id: 'i',
    title: 'error storm in Notifier, tolerated by its caller (no leak)',
    app: 'storm',
    agents: ['Dispatcher', 'Notifier', 'Archiver'],
    fault: { name: 'storm', agent: 'Notifier' },
    until: errorsSinceFault('Notifier', 500),
    questions: [
      { tool: 'diagnose', agent: 'Notifier', expect: templateErrors(['failing']) },
      { tool: 'perf', expect: templateErrors(['failing']) },
      // The shipments go on without notifications: degraded or failing, both defensible.
      { tool: 'health', expect: templateErrors(['degraded', 'failing']) },
    ],
  },
  {
    id: 'j',
    title: 'healthy: the orders application without a fault',
    app: 'orders-reraise',
    agents: ['OrderDesk', 'PriceOracle', 'StockKeeper'],
    until: handledSinceFault('OrderDesk', 100),
    questions: [
      { tool: 'diagnose', agent: 'OrderDesk', expect: healthy },
      { tool: 'perf', expect: healthy },
      { tool: 'health', expect: healthy },
    ],
  },
  {
    id: 'k',
    title: 'AgentChat SelectorGroupChat (replayed selector): ledger\'s tool reads a database that refuses connections',
    app: 'selector-tool',
    agents: ['ledger', 'clerk'],
    fault: { name: 'tool_backend_refuses', agent: 'ledger' },
    until: errorsSinceFault('ledger', 20),
    questions: [
      { tool: 'diagnose', agent: 'ledger', expect: toolDatabaseRefuses(['ledger']) },
      { tool: 'perf', expect: toolDatabaseRefuses(['ledger', 'lookup_order', 'orders-db']) },
      { tool: 'health', expect: toolDatabaseRefuses(['ledger', 'lookup_order', 'orders-db']) },
    ],
  },
  {
    id: 'l',
    title: 'AgentChat Swarm: triage hands off to booker, whose model endpoint answers 429 (RateLimitError)',
    app: 'swarm-model',
    agents: ['triage', 'booker'],
    fault: { name: 'rate_limit', agent: 'booker' },
    until: errorsSinceFault('booker', 20),
    questions: [
      { tool: 'diagnose', agent: 'booker', expect: rateLimited(['booker']) },
      { tool: 'perf', expect: rateLimited(['booker']) },
      { tool: 'health', expect: rateLimited(['booker']) },
    ],
  },
  {
    id: 'm',
    title: 'AgentChat GraphFlow (DiGraphBuilder): fetcher\'s tool times out on an API that stops answering',
    app: 'graph-tool',
    agents: ['fetcher', 'writer'],
    fault: { name: 'tool_backend_stalls', agent: 'fetcher' },
    until: errorsSinceFault('fetcher', 20),
    questions: [
      { tool: 'diagnose', agent: 'fetcher', expect: toolTimesOut(['fetcher']) },
      { tool: 'perf', expect: toolTimesOut(['fetcher', 'fetch_rates', 'rates-api']) },
      { tool: 'health', expect: toolTimesOut(['fetcher', 'fetch_rates', 'rates-api']) },
    ],
  },
  {
    id: 'n',
    title: 'AgentChat RoundRobinGroupChat that never terminates: the reviewer stops approving, max turns ends every run',
    app: 'team-endless',
    agents: ['drafter', 'reviewer'],
    fault: { name: 'never_approves', agent: 'reviewer' },
    until: handledSinceFault('reviewer', 40),
    questions: [
      { tool: 'diagnose', agent: 'reviewer', expect: stoppedByMaxTurns },
      { tool: 'perf', expect: healthy },
    ],
  },
];
