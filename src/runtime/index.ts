/**
 * Bridge clients by runtime name. `bridgeFor(name)` throws `RUNTIME_UNKNOWN` for a name not configured.
 */
import type { Config } from '../config.js';
import { OpsError } from '../errors.js';
import { BridgeClient } from './client.js';

export { BridgeClient, type BridgeTimeouts, type LogQuery, type BridgeAction } from './client.js';
export * as bridgeSchemas from './schemas.js';
export type { AgentDetail, RuntimeInfo, LogRecord, ErrorRecord, Health, ActionResult } from './schemas.js';

export interface Bridges {
  bridgeFor(runtime: string): BridgeClient;
  close(): Promise<void>;
}

export function createBridges(config: Pick<Config, 'runtimes'>): Bridges {
  const clients = new Map<string, BridgeClient>();
  return {
    bridgeFor(runtime: string): BridgeClient {
      const target = config.runtimes.byName[runtime];
      if (!target) throw new OpsError('RUNTIME_UNKNOWN', { runtime, known: Object.keys(config.runtimes.byName) });
      let c = clients.get(runtime);
      if (!c) {
        c = new BridgeClient(target, { connectMs: config.runtimes.connectTimeoutMs, requestMs: config.runtimes.timeoutMs });
        clients.set(runtime, c);
      }
      return c;
    },
    async close() {
      await Promise.all([...clients.values()].map((c) => c.close()));
      clients.clear();
    },
  };
}
