/** Seed check 1: is the agent type registered, and does its factory construct instances? */
import type { Check } from '../report.js';
import { clip, type DiagnosisInput } from '../input.js';

/** The registered type that matches `name` ignoring case, for "did you mean". */
export function closestAgentType(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  return known.find((k) => k.toLowerCase() === lower) ?? known.find((k) => k.toLowerCase().startsWith(lower.slice(0, 4)));
}

export function checkRegistration(input: DiagnosisInput): Check {
  const base = { id: 'registration', title: 'Registration and factory', category: 'agent_creation' } as const;
  const known = input.info?.agent_types ?? [];
  const d = input.detail;
  if (d === undefined || !d.registered) {
    const guess = closestAgentType(input.agent, known);
    return {
      ...base,
      status: 'fail',
      summary: `No agent type "${input.agent}" is registered in runtime ${input.runtime}.`,
      evidence: [known.length ? `Registered types: ${known.join(', ')}` : 'The runtime reports no registered agent types.'],
      suggestion: guess
        ? `Did you mean \`${guess}\`? Agent types are case-sensitive.`
        : 'Register the agent with `await MyAgent.register(runtime, "<type>", factory)` before starting the runtime.',
    };
  }
  const construction = (d.recent_errors ?? []).filter((e) => e.phase === 'construction');
  if ((d.construction_errors ?? 0) > 0 || construction.length > 0) {
    const last = construction[0];
    return {
      ...base,
      status: 'fail',
      summary: `The factory of ${input.agent} fails to construct instances (${d.construction_errors ?? construction.length} failures).`,
      evidence: last ? [`${last.exception_type ?? 'Exception'}: ${clip(last.message ?? '')}`] : [],
      suggestion: 'Fix the exception raised in the agent factory / constructor (see the evidence), then restart the agent.',
    };
  }
  const instances = d.instances ?? [];
  return {
    ...base,
    status: 'ok',
    summary: `Registered; ${instances.length} instance${instances.length === 1 ? '' : 's'} live.`,
    evidence: (d.message_types?.length ? [`Handles: ${d.message_types.join(', ')}`] : []),
  };
}
