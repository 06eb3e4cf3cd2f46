/**
 * The demo fleet's fault injection (`/v1/faults` of the bridge started with `--enable-faults`), for the
 * sandbox page's demo control panel. The bridge token stays here: the page only talks to the sandbox.
 */
import { request } from 'undici';
import type { AgentSummary, FaultInfo as FaultAnswer, FaultList, Fields, MaybeFields } from '../runtime/schemas.js';

/** A fault in force, as the bridge lists it. */
export type FaultInfo = Fields<FaultAnswer, 'fault' | 'agent_type' | 'params' | 'since'>;
type FaultListing = { faults: FaultInfo[] } & Fields<FaultList, 'known_faults'>;
type AgentListing = { agents: (Fields<AgentSummary, 'type' | 'name' | 'role'> & MaybeFields<AgentSummary, 'team'>)[] };

export interface FaultState {
  active: FaultInfo[];
  known: string[];
  /** Names a fault can target: the fleet's agents by their stable names, and its AgentChat team. */
  targets: string[];
}

/** A refusal of the bridge (bad fault name, bad params), with its status and reason. */
export class FaultRequestError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

export interface FaultControl {
  state(): Promise<FaultState>;
  inject(fault: string, target: string, params?: Record<string, unknown>): Promise<FaultInfo>;
  /** Clears every fault (or only `fault`). */
  clear(fault?: string): Promise<FaultInfo[]>;
}

export function fleetFaults(baseUrl: string, token: string, timeoutMs = 5_000): FaultControl {
  async function call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const res = await request(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    const text = await res.body.text();
    if (res.statusCode >= 400) {
      let reason = text.slice(0, 300);
      try {
        const j = JSON.parse(text) as { message?: unknown; detail?: unknown; error?: { message?: unknown } };
        const m = j.error?.message ?? j.message ?? j.detail;
        if (typeof m === 'string') reason = m;
        else if (m !== undefined) reason = JSON.stringify(m).slice(0, 300);
      } catch { /* not JSON */ }
      throw new FaultRequestError(res.statusCode, reason);
    }
    return JSON.parse(text) as T;
  }
  return {
    async state() {
      const [faults, agents] = await Promise.all([
        call<FaultListing>('GET', '/v1/faults'),
        call<AgentListing>('GET', '/v1/agents'),
      ]);
      const targets = new Set<string>();
      for (const a of agents.agents) {
        if (a.role === 'agent') targets.add(a.type);
        else if (a.role === 'participant' && a.team?.name) {
          targets.add(a.team.name);
          targets.add(`${a.team.name}/${a.name}`);
        }
      }
      return { active: faults.faults, known: [...faults.known_faults], targets: [...targets] };
    },
    async inject(fault, target, params = {}) {
      return call<FaultInfo>('POST', '/v1/faults', { fault, agent_type: target, params });
    },
    async clear(fault) {
      const res = await call<Pick<FaultListing, 'faults'>>('DELETE', fault ? `/v1/faults/${encodeURIComponent(fault)}` : '/v1/faults');
      return res.faults;
    },
  };
}
