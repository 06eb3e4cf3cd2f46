/**
 * Bridge clients by runtime name. `bridgeFor(name)` throws `RUNTIME_UNKNOWN` for a name not configured.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '../config.js';
import { OpsError } from '../errors.js';
import { BridgeClient } from './client.js';

export { BridgeClient, type BridgeTimeouts, type LogQuery, type ActionPath } from './client.js';
export * as bridgeSchemas from './schemas.js';
export type { AgentDetail, RuntimeInfo, LogRecord, ErrorRecord, Health, ActionResult } from './schemas.js';

export interface Bridges {
  bridgeFor(runtime: string): BridgeClient;
  close(): Promise<void>;
}

/** The CA file's PEM text; `CONFIG_INVALID` naming BRIDGE_CA_FILE when it cannot be read or holds no certificate. */
export function readCaFile(path: string): string {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (err) {
    throw new OpsError('CONFIG_INVALID', { problems: [`BRIDGE_CA_FILE: cannot read "${path}" (${(err as NodeJS.ErrnoException).code ?? 'error'})`] }, { cause: err });
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new OpsError('CONFIG_INVALID', { problems: [`BRIDGE_CA_FILE: "${path}" holds no PEM certificate`] });
  }
  return pem;
}

export function createBridges(config: Pick<Config, 'runtimes'>): Bridges {
  const clients = new Map<string, BridgeClient>();
  const ca = config.runtimes.caFile === undefined ? undefined : readCaFile(config.runtimes.caFile);
  return {
    bridgeFor(runtime: string): BridgeClient {
      const target = config.runtimes.byName[runtime];
      if (!target) throw new OpsError('RUNTIME_UNKNOWN', { runtime, known: Object.keys(config.runtimes.byName) });
      let c = clients.get(runtime);
      if (!c) {
        c = new BridgeClient(target, {
          connectMs: config.runtimes.connectTimeoutMs,
          requestMs: config.runtimes.timeoutMs,
          ...(config.runtimes.maxResponseBytes !== undefined ? { maxResponseBytes: config.runtimes.maxResponseBytes } : {}),
          ...(ca !== undefined ? { ca } : {}),
        });
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
