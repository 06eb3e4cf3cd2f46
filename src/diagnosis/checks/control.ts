/** Whether operators (or the bot) have the agent isolated, backpressured or degraded right now. */
import type { Check } from '../report.js';
import type { DiagnosisInput } from '../input.js';

export function checkControlState(input: DiagnosisInput): Check {
  const base = { id: 'control', title: 'Control state' } as const;
  const d = input.detail;
  const states: string[] = [];
  if (d?.isolated || (input.info?.isolated ?? []).includes(input.agent)) states.push('isolated');
  if (d?.backpressured) states.push(`backpressured (max in-flight ${d.max_inflight ?? '?'})`);
  if (d?.degraded || (input.info?.degraded?.agent_types ?? []).includes(input.agent)) states.push('degraded (shed)');
  if (states.length === 0) return { ...base, status: 'ok', category: 'message_delivery', summary: 'Not isolated, backpressured or degraded.', evidence: [] };
  return { ...base, status: 'warn', category: 'message_delivery', summary: `The agent is ${states.join(', ')}.`, evidence: states, suggestion: 'Release the control once the cause is fixed (it may also expire by its TTL).' };
}
