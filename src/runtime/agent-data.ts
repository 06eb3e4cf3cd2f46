/**
 * Reads everything a diagnosis of one agent needs from its runtime, in parallel: health, runtime info,
 * the agent's detail (absent when not registered) and its recent warning/error logs.
 */
import { isOpsError } from '../errors.js';
import type { DiagnosisInput } from '../diagnosis/input.js';
import type { BridgeClient } from './client.js';

export async function readAgentData(bridge: BridgeClient, agent: string, windowS: number): Promise<DiagnosisInput> {
  const [health, info, detail, logs] = await Promise.all([
    bridge.health(),
    bridge.runtime(),
    bridge.agent(agent).catch((err: unknown) => {
      if (isOpsError(err, 'AGENT_NOT_FOUND')) return undefined;
      throw err;
    }),
    bridge.logs({ agent, since: windowS, level: 'WARNING', limit: 100 }),
  ]);
  return { agent, runtime: bridge.name, health, info, detail, logs: logs.records, windowS };
}
