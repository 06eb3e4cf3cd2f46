/**
 * A line when a dependency comes back, not only when it goes. `DependencyState` logs the first failure of
 * an outage (warn, with the reason), keeps later failures of the same outage at debug (a Redis restart is
 * dozens of reconnect errors), and logs the recovery (info, `down_ms`, `failures`) on the first success.
 *
 * Every line carries `dependency` (redis, slack, runtime) and `event` (`dependency_down` /
 * `dependency_up`), so a log query finds both ends of an outage. The state is per process (each replica
 * says what it saw).
 */
import type { RedisClient } from '../redis/connect.js';
import type { Logger } from '../log.js';

export class DependencyState {
  private downSince: number | undefined;
  private failures = 0;

  constructor(
    private readonly logger: Logger,
    /** Fields on every line, e.g. `{ dependency: 'redis', connection: 'bot' }`. */
    private readonly fields: Readonly<Record<string, unknown>> & { readonly dependency: string },
    private readonly now: () => number = Date.now,
  ) {}

  get down(): boolean {
    return this.downSince !== undefined;
  }

  /** A failure; `err` (or `reason`) is logged once per outage. */
  failed(reason: string, err?: unknown): void {
    this.failures += 1;
    if (this.downSince !== undefined) {
      this.logger.debug({ ...this.fields, event: 'dependency_still_down', reason, failures: this.failures }, `${this.fields.dependency} still unreachable`);
      return;
    }
    this.downSince = this.now();
    this.logger.warn({ ...this.fields, event: 'dependency_down', reason, ...(err === undefined ? {} : { err }) }, `${this.fields.dependency} unreachable`);
  }

  /** A success: logs the recovery when it ends an outage. Returns the outage's length in ms, if there was one. */
  succeeded(): number | undefined {
    if (this.downSince === undefined) return undefined;
    const downMs = this.now() - this.downSince;
    this.logger.info({ ...this.fields, event: 'dependency_up', down_ms: downMs, failures: this.failures }, `${this.fields.dependency} reachable again`);
    this.downSince = undefined;
    this.failures = 0;
    return downMs;
  }
}

/**
 * Watches an ioredis connection: `error`/`reconnecting` start an outage (one warn), `ready` after them ends it
 * (one info with how long it lasted). Replaces a plain `on('error')` logger (which logged every reconnect
 * attempt) and keeps an `error` listener, so ioredis never reports unhandled errors.
 */
export function watchRedis(redis: Pick<RedisClient, 'on'>, logger: Logger, connection: string, now: () => number = Date.now): DependencyState {
  const state = new DependencyState(logger, { dependency: 'redis', connection }, now);
  let everReady = false;
  redis.on('error', (err: Error) => state.failed(err.message, err));
  // `reconnecting`, not `close`: a deliberate disconnect (shutdown) closes without reconnecting
  redis.on('reconnecting', () => { if (everReady) state.failed('connection lost; reconnecting'); });
  redis.on('ready', () => {
    everReady = true;
    state.succeeded();
  });
  // A Cluster keeps its own state ('ready' while the slots are served) and reports each node apart: a lost
  // node (a master failed over, a replica gone) is one warn; its return one info, when a connection to that
  // address is ready again (ioredis re-adds a dead node's address at every slot refresh until the Cluster
  // forgets it, so being added is not being back).
  const nodes = new Map<string, DependencyState>();
  const nodeState = (address: string): DependencyState => {
    let s = nodes.get(address);
    if (!s) {
      s = new DependencyState(logger, { dependency: 'redis', connection, node: address }, now);
      nodes.set(address, s);
    }
    return s;
  };
  redis.on('node error', (err: Error, address?: string) => { if (address) nodeState(address).failed(err.message, err); });
  redis.on('+node', (node: { options?: { host?: string; port?: number }; once?: (event: 'ready', fn: () => void) => unknown } | undefined) => {
    const o = node?.options;
    if (o?.host === undefined || o.port === undefined) return;
    const address = `${o.host}:${o.port}`;
    node?.once?.('ready', () => nodes.get(address)?.succeeded());
  });
  return state;
}
