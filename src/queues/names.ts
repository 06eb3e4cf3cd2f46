/** Queue names. One BullMQ queue per job kind; `handlers/<kind>.ts` processes it. */
export const QUEUE = {
  diagnose: 'diagnose',
  alert: 'alert',
  respond: 'respond',
  execute: 'execute',
  verify: 'verify',
  notify: 'notify',
  monitor: 'monitor',
} as const;

export type QueueName = (typeof QUEUE)[keyof typeof QUEUE];

export const QUEUE_NAMES: readonly QueueName[] = Object.values(QUEUE);
