/**
 * Reads everything a diagnosis of one agent needs from its runtime: which registered type the user's name
 * means (an AgentChat participant's name, `<team>/<name>` or the type), then in parallel health, runtime
 * info, the agent's detail (absent when not registered) and its recent warning/error logs.
 */
import { isOpsError } from '../errors.js';
import type { DiagnosisInput } from '../diagnosis/input.js';
import type { BridgeClient } from './client.js';
import { resolveAgentRef } from './resolve-agent.js';

export async function readAgentData(bridge: BridgeClient, asked: string, windowS: number): Promise<DiagnosisInput> {
  const resolved = resolveAgentRef(asked, (await bridge.agents()).agents, bridge.name);
  const agent = resolved?.type ?? asked;
  const [health, info, detail, logs] = await Promise.all([
    bridge.health(),
    bridge.runtime(),
    bridge.agent(agent).catch((err: unknown) => {
      if (isOpsError(err, 'AGENT_NOT_FOUND')) return undefined;
      throw err;
    }),
    bridge.logs({ agent, since: windowS, level: 'WARNING', limit: 100 }),
  ]);
  const label = resolved && resolved.label !== agent ? { label: resolved.label } : {};
  return { agent, ...label, runtime: bridge.name, health, info, detail, logs: logs.records, windowS };
}
