/**
 * AgentChat signals of one agent, read as the guide reads any error: its tool calls (a failed call is an
 * `is_error` result AgentChat hands back to the model, never an exception), its model calls (a 429 is the
 * guide's model-call problem, rate limiting) and the runs of its team (how they ended: a termination
 * condition, max turns exhausted, an error). A tool's error text goes through the same patterns as an
 * exception, so a refused connection in a tool names the dependency's category (Database, Network, …).
 * Only present for agents the bridge saw AgentChat data for.
 */
import type { Check } from '../report.js';
import type { Thresholds } from '../thresholds.js';
import type { Category } from '../classify.js';
import { clip, pct, type DiagnosisInput } from '../input.js';
import { readErrorSignal } from '../error-signals.js';
import { formatCount, formatMs, plural } from '../quantities.js';

/** "stopped by max turns": the words a report uses for a team run ended by `max_turns`. */
export const MAX_TURNS_WORDS = 'stopped by max turns';

interface Part {
  readonly status: Check['status'];
  readonly category: Category;
  readonly summary: string;
  readonly suggestion?: string;
}

export function checkAgentChat(input: DiagnosisInput, t: Thresholds): Check | undefined {
  const d = input.detail;
  const tools = d?.tool_calls ?? [];
  const model = d?.model_calls ?? null;
  const runs = d?.team_runs ?? null;
  const handoffs = d?.handoffs ?? [];
  if (tools.length === 0 && !model && !runs && handoffs.length === 0) return undefined;
  const dependencies = input.info?.dependencies ?? [];
  const evidence: string[] = [];
  const parts: Part[] = [];

  const failingTools = tools.filter((x) => x.errors > 0).sort((a, b) => b.errors - a.errors);
  for (const x of tools) {
    const ms = x.avg_ms != null ? `, avg ${formatMs(x.avg_ms)}` : '';
    evidence.push(`Tool ${x.tool}: ${formatCount(x.errors)}/${formatCount(x.count)} calls failed${ms}${x.last_error ? ` — last: ${clip(x.last_error, 160)}` : ''}`);
  }
  const tool = failingTools[0];
  if (tool) {
    const signal = readErrorSignal({ exception_type: 'ToolError', message: `tool ${tool.tool} failed: ${tool.last_error ?? ''}`, dependencies });
    const category: Category = signal.category === 'business_logic' ? 'tool_execution' : signal.category;
    const rate = tool.count > 0 ? tool.errors / tool.count : 0;
    parts.push({
      status: rate > t.errorRate ? 'fail' : 'warn',
      category,
      summary: `Tool ${tool.tool} fails in ${pct(rate)} of its calls: ${signal.meaning}`,
      suggestion: `${signal.fix[0] ?? 'Fix the tool.'} (the tool \`${tool.tool}\` returns an error result to the model instead of raising, so the team keeps going without it)`,
    });
  }

  if (model) {
    const byType = Object.entries(model.errors_by_type ?? {}).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ×${formatCount(v)}`);
    const tokens = model.prompt_tokens != null ? `, ${formatCount(model.prompt_tokens)} prompt / ${formatCount(model.completion_tokens ?? 0)} completion tokens` : '';
    const ms = model.avg_ms != null ? `, avg ${formatMs(model.avg_ms)}` : '';
    evidence.push(`Model calls: ${formatCount(model.errors)}/${formatCount(model.calls)} failed${byType.length ? ` (${byType.join(', ')})` : ''}${ms}${tokens}${model.last_error ? ` — last: ${clip(model.last_error, 160)}` : ''}`);
    if (model.errors > 0) {
      const signal = readErrorSignal({ message: model.last_error ?? byType.join(' '), dependencies });
      const category: Category = signal.category === 'business_logic' ? 'model_calls' : signal.category;
      const rate = model.calls > 0 ? model.errors / model.calls : 1;
      parts.push({
        status: rate > t.errorRate ? 'fail' : 'warn',
        category,
        summary: `Model calls fail (${pct(rate)}): ${signal.meaning}`,
        suggestion: signal.fix.join('. '),
      });
    }
  }

  if (runs) {
    const finished = runs.finished ?? (runs.stopped ?? 0) + (runs.failed ?? 0);
    const maxTurns = runs.max_turns_reached ?? 0;
    const how = runs.last_ended_by === 'max_turns' ? `the last run was ${MAX_TURNS_WORDS}`
      : runs.last_ended_by === 'error' ? `the last run ended by an error${runs.last_error ? ` (${clip(runs.last_error, 120)})` : ''}`
        : runs.last_ended_by === 'termination' ? `the last run met its termination condition${runs.last_stop_reason ? ` ("${clip(runs.last_stop_reason, 80)}")` : ''}`
          : 'no run has ended yet';
    evidence.push(`Team ${runs.team}${runs.kind ? ` (${runs.kind})` : ''}: ${plural(runs.started, 'run')} started, ${formatCount(finished)} finished — ${formatCount(maxTurns)} ${MAX_TURNS_WORDS}, ${formatCount(runs.failed ?? 0)} ended by an error; ${how}`);
    if (runs.last_ended_by === 'max_turns') {
      parts.push({
        status: 'ok',
        category: 'business_logic',
        summary: `Team ${runs.team} ${MAX_TURNS_WORDS} in ${formatCount(maxTurns)} of ${formatCount(finished)} runs`,
        suggestion: 'If the team should finish on its own, check its termination condition (e.g. `TextMentionTermination`, `HandoffTermination`): its runs end only because `max_turns` is exhausted',
      });
    }
  }
  for (const h of handoffs) evidence.push(`Handed off to ${h.target} ×${formatCount(h.count)}`);

  const base = { id: 'agentchat', title: 'AgentChat team' } as const;
  const worst = parts.find((p) => p.status === 'fail') ?? parts.find((p) => p.status === 'warn');
  if (worst) {
    return { ...base, status: worst.status, category: worst.category, summary: `${worst.summary}.`, evidence: evidence.slice(0, 8), ...(worst.suggestion ? { suggestion: `${worst.suggestion}.` } : {}), explains: 0.5 };
  }
  const notice = parts[0];
  return { ...base, status: 'ok', category: notice?.category ?? 'tool_execution', summary: notice ? `${notice.summary}.` : 'Tools, model calls and team runs show no failure.', evidence: evidence.slice(0, 8) };
}
