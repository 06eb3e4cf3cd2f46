/** Queue names. One BullMQ queue per job kind; `handlers/<kind>.ts` processes it. */
export const QUEUE = {
  diagnose: 'diagnose',
  alert: 'alert',
  respond: 'respond',
  execute: 'execute',
  verify: 'verify',
  notify: 'notify',
  monitor: 'monitor',
  /** The guide subcommands (health, perf, message, logs, trace, inspect, snapshot) and App Home. */
  guide: 'guide',
} as const;

export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];

export const QUEUE_NAMES: readonly QueueName[] = Object.values(QUEUE);
