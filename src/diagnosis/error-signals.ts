/**
 * From one error (exception type, message, phase) to the guide's category and fix.
 *
 * The patterns follow the guide's dependency checks (§2.1: "no module named", "connection refused",
 * "permission denied", "timeout"), the message checks (§2.2: serialisation, authorisation, unknown
 * recipient) and the emergency scenarios (§6.1). Pure: the same error always gets the same answer.
 */
import type { Dependency, ErrorRecord, Fields, MaybeFields } from '../runtime/schemas.js';
import type { Category } from './classify.js';

/**
 * One error of the bridge (`phase`: `handler` or `construction`), with the names and kinds of the runtime's
 * declared dependencies, to tell a dead database from a dead API.
 */
export type ErrorSignalInput = Readonly<MaybeFields<ErrorRecord, 'exception_type' | 'message' | 'phase'> & {
  dependencies?: readonly Readonly<Fields<Dependency, 'name'> & MaybeFields<Dependency, 'kind' | 'url'>>[] | null;
}>;

export interface ErrorSignal {
  readonly category: Category;
  /** What the pattern means, e.g. "missing Python module `vectorlib`". */
  readonly meaning: string;
  /** The guide's fix, most specific first. */
  readonly fix: readonly string[];
}

/** The guide's remedies, named so that reports and tests can refer to them. */
export const GUIDE_FIXES = {
  missingModule: (module: string | null): string =>
    module ? `Install the missing dependency: \`pip install ${module}\`` : 'Install the missing dependency: `pip install <module>`',
  registerFactory: 'Check that the agent type is registered (`register_factory()` / `AgentType.register`) before messages reach it',
  checkService: 'Check the external service\'s status and the network connection to it',
  permissions: 'Check file permissions or the API access rights of the runtime\'s credentials',
  raiseTimeout: 'Increase the timeout (the guide suggests up to 30 s) or check network latency',
  asyncOps: 'Turn blocking operations into async ones (`asyncio.create_task()`, a thread pool for CPU-bound work)',
  scaleAgents: 'Start extra agent instances to share the load',
  serialisation: 'Make the message type serialisable: a registered dataclass or pydantic model, no open handles or lambdas',
  authorisation: 'Check that the sender is allowed to message the recipient (message authorisation, API credentials)',
  isolateFailing: 'Isolate the failing agent: stop new messages to it, save its state, take it out of routing',
  backpressure: 'Enable backpressure: bound in-flight messages so senders wait instead of piling up',
  memoryCleanup: 'Force a memory clean-up: clear caches and restart the agent holding the most memory',
  leakHunt: 'Look for unclosed resources (files, connections), caches without expiry; profile with `memory_profiler`',
  freeDisk: 'Free disk space: delete logs older than 30 days and stale temporary files',
  businessLogic: 'Fix the handler\'s logic for this input; add a test that reproduces the traceback',
  modelCalls: 'Check the model endpoint\'s quota, rate limits and credentials; retry with back-off',
  toolExecution: 'Check the tool\'s inputs and the service it calls; make the tool return an error result instead of raising',
  stateSync: 'Check the agent\'s `save_state`/`load_state` and the state store; restart the agent to reload a clean state',
  cacheService: 'Check the cache service (e.g. `redis-cli ping`) and fall back to the source when it is down',
  databaseService: 'Check the database (e.g. `pg_isready`), its connection pool and credentials',
  queueService: 'Check the message queue service and its consumers',
  inspectLogs: 'Group the errors by pattern with `/autogen logs` to find the first failing component',
} as const;

const MODULE_RE = /no module named ['"]?([\w.-]+)['"]?/i;

function text(input: ErrorSignalInput): string {
  return `${input.exception_type ?? ''} ${input.message ?? ''}`.toLowerCase();
}

/** The category of a dependency by its declared kind or name. */
export function dependencyCategory(dep: { name: string; kind?: string | null; url?: string | null }): Category {
  const k = `${dep.kind ?? ''} ${dep.name} ${dep.url ?? ''}`.toLowerCase();
  if (/cache|redis|memcache/.test(k)) return 'cache';
  if (/queue|kafka|rabbit|amqp|nats|sqs/.test(k)) return 'queue';
  if (/database|\bdb\b|-db\b|postgres|mysql|sql|mongo|vector/.test(k)) return 'database';
  if (/model|llm|openai|anthropic|azure/.test(k)) return 'model_calls';
  return 'external_api';
}

/** The guide's first step for a dependency of this category. */
export function fixForDependency(category: Category): string {
  switch (category) {
    case 'cache':
      return GUIDE_FIXES.cacheService;
    case 'database':
      return GUIDE_FIXES.databaseService;
    case 'queue':
      return GUIDE_FIXES.queueService;
    default:
      return GUIDE_FIXES.checkService;
  }
}

/** Which declared dependency an error mentions, if any (by name, host:port or URL). */
export function mentionedDependency(input: ErrorSignalInput): { name: string; kind?: string | null; url?: string | null } | null {
  const t = text(input);
  for (const dep of input.dependencies ?? []) {
    if (t.includes(dep.name.toLowerCase())) return dep;
    if (dep.url) {
      const hostPort = dep.url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/.*$/, '').replace(/^.*@/, '').toLowerCase();
      if (hostPort && t.includes(hostPort)) return dep;
      // Python writes the address as a tuple: "Connect call failed ('127.0.0.1', 6999)".
      const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(hostPort);
      if (m && t.includes(m[1]!) && new RegExp(`\\b${m[2]}\\b`).test(t)) return dep;
    }
  }
  return null;
}

/** The guide's reading of one error. */
export function readErrorSignal(input: ErrorSignalInput): ErrorSignal {
  const t = text(input);
  const moduleMatch = MODULE_RE.exec(input.message ?? '') ?? MODULE_RE.exec(input.exception_type ?? '');
  if (moduleMatch || /modulenotfounderror|importerror/.test(t)) {
    const module = moduleMatch?.[1] ?? null;
    return {
      category: 'agent_creation',
      meaning: module ? `missing Python module \`${module}\`` : 'a Python import fails',
      fix: [GUIDE_FIXES.missingModule(module), GUIDE_FIXES.registerFactory],
    };
  }
  if (input.phase === 'construction') {
    return { category: 'agent_creation', meaning: 'the agent factory raises while creating the agent', fix: [GUIDE_FIXES.registerFactory, GUIDE_FIXES.businessLogic] };
  }
  if (/connection refused|connectionrefused|connecterror|econnrefused|connection reset|unreachable|name or service not known|getaddrinfo/.test(t)) {
    const dep = mentionedDependency(input);
    const category = dep ? dependencyCategory(dep) : /redis|cache/.test(t) ? 'cache' : /postgres|database|sql/.test(t) ? 'database' : 'external_api';
    return {
      category,
      meaning: dep ? `dependency \`${dep.name}\` refuses connections` : 'an external service refuses connections',
      fix: [...new Set([fixForDependency(category), GUIDE_FIXES.checkService])],
    };
  }
  if (/recipient not found|not registered|unknown agent|lookuperror.*agent/.test(t)) {
    return { category: 'agent_creation', meaning: 'a message went to an agent type that is not registered', fix: [GUIDE_FIXES.registerFactory] };
  }
  if (/agentisolated|isolated/.test(t)) {
    return { category: 'message_delivery', meaning: 'messages are refused because the recipient is isolated', fix: ['Release the agent once its fault is fixed (`/autogen recover` plans it)'] };
  }
  if (/messagedropped|dropped|undeliverable|canthandle|cant handle|no handler/.test(t)) {
    return { category: 'message_delivery', meaning: 'messages are dropped or have no handler', fix: ['Check the recipient has a handler for the message type and is subscribed to its topic', GUIDE_FIXES.registerFactory] };
  }
  if (/serializ|serialis|not json|jsondecode|pickl/.test(t)) {
    return { category: 'message_delivery', meaning: 'a message cannot be serialised', fix: [GUIDE_FIXES.serialisation] };
  }
  if (/permission denied|permissionerror|unauthori[sz]ed|forbidden|access denied|\b401\b|\b403\b/.test(t)) {
    return { category: 'configuration', meaning: 'permission or authorisation is refused', fix: [GUIDE_FIXES.permissions, GUIDE_FIXES.authorisation] };
  }
  if (/timeout|timed out|deadline exceeded/.test(t)) {
    return { category: 'timeouts', meaning: 'an operation timed out', fix: [GUIDE_FIXES.raiseTimeout, GUIDE_FIXES.asyncOps, GUIDE_FIXES.scaleAgents] };
  }
  if (/memoryerror|out of memory|cannot allocate/.test(t)) {
    return { category: 'resources', meaning: 'the process ran out of memory', fix: [GUIDE_FIXES.memoryCleanup, GUIDE_FIXES.leakHunt] };
  }
  if (/no space left|disk full|errno 28/.test(t)) {
    return { category: 'storage', meaning: 'the disk is full', fix: [GUIDE_FIXES.freeDisk] };
  }
  if (/ratelimiterror|rate.?limit|too many requests|\b429\b/.test(t)) {
    return { category: 'model_calls', meaning: 'the model endpoint rate-limits calls (HTTP 429)', fix: [GUIDE_FIXES.modelCalls, GUIDE_FIXES.backpressure] };
  }
  if (/ratelimiterror|rate limit|openai|anthropic|model (call|endpoint|api)|chat completion|\b429\b/.test(t)) {
    return { category: 'model_calls', meaning: 'a model call fails', fix: [GUIDE_FIXES.modelCalls] };
  }
  // `ToolError`: the bridge's type for an AgentChat tool's `is_error` result, whose text may be empty
  // (AgentChat keeps only `str(exc)`, and a bare `TimeoutError()` has none).
  if (/toolerror|toolexception|tool (call|execution|error)|tool_call|functioncall/.test(t)) {
    return { category: 'tool_execution', meaning: 'a tool call fails', fix: [GUIDE_FIXES.toolExecution] };
  }
  if (/load_state|save_state|state (store|sync)|statesync/.test(t)) {
    return { category: 'state_sync', meaning: 'agent state cannot be saved or restored', fix: [GUIDE_FIXES.stateSync] };
  }
  if (/queuefull|queue full/.test(t)) {
    return { category: 'queue', meaning: 'a queue is full', fix: [GUIDE_FIXES.backpressure, GUIDE_FIXES.queueService] };
  }
  return { category: 'business_logic', meaning: 'the handler raises on its input', fix: [GUIDE_FIXES.businessLogic, GUIDE_FIXES.inspectLogs] };
}
