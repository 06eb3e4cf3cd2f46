/**
 * The bot's own Prometheus metrics, served at `/metrics` beside `/healthz`: Node process metrics, jobs
 * per queue and state (read from Redis at scrape time, so they cover every worker replica), and slash
 * command outcomes of this process. Names follow Prometheus conventions (`_total`, low-cardinality labels).
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { Queues } from './queues/queues.js';

export const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'failed'] as const;

export interface BotMetrics {
  readonly registry: Registry;
  /** `outcome`: queued | rejected | queue_unavailable */
  readonly commands: Counter<'outcome'>;
}

export function createBotMetrics(queues: Queues): BotMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'autogen_ops_' });
  const commands = new Counter({
    name: 'autogen_ops_slash_commands_total',
    help: 'Slash commands acked by this bot process, by outcome.',
    labelNames: ['outcome'],
    registers: [registry],
  });
  new Gauge({
    name: 'autogen_ops_queue_jobs',
    help: 'Jobs per BullMQ queue and state, read from Redis at scrape time.',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      const counts = await Promise.all(Queues.names.map(async (name) => [name, await queues.get(name).getJobCounts(...JOB_STATES)] as const));
      for (const [queue, byState] of counts) {
        for (const state of JOB_STATES) this.set({ queue, state }, byState[state] ?? 0);
      }
    },
  });
  return { registry, commands };
}
