export { QUEUE, QUEUE_NAMES, type QueueName } from './names.js';
export * from './payloads.js';
export { Queues, parsePayload, safeJobId, type QueueDefaults } from './queues.js';
export { startWorkers, wrapProcessor, type Processor, type WorkerSet } from './worker.js';
export { keyPrefix } from './connection.js';
