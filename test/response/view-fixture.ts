/** Plain runtime readings for the pure planning and verification tests (shapes of docs/bridge-api.md). */
import type { AgentView, RuntimeView } from '../../src/response/runtime-view.js';

export function agent(type: string, over: Partial<AgentView> = {}): AgentView {
  return {
    type, registered: true, instances: ['default'], inflight: 0, max_inflight: null, handled_total: 100,
    errors_total: 0, error_rate: 0, latency_ms: { p95: 10 }, isolated: false, backpressured: false,
    degraded: false, construction_errors: 0, ...over,
  };
}

export function view(agents: AgentView[], runtime: Partial<RuntimeView['runtime']> = {}): RuntimeView {
  return {
    runtime: { name: 'demo', queue_depth: 0, inflight: 0, max_inflight: null, rss_bytes: 100 * 1024 * 1024,
      isolated: [], degraded: { active: false, features: [], agent_types: [] }, features: { web_search: true },
      dependencies: [], ...runtime },
    agents,
  };
}
