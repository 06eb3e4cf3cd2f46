/**
 * A worker process for the "killed after Slack stored the post" test: it takes `notify` jobs with the
 * configured lock and stall settings and, right after Slack answers a post (before its ts is recorded),
 * prints `POSTED <ts>` and hangs, so the test can SIGKILL it at exactly that point. Configuration from the
 * environment the test passes (loaded by the product's `loadConfig`).
 */
import { Worker } from 'bullmq';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startWorkerRole } from '../../src/roles/worker.js';
import { stallOptions, wrapProcessor } from '../../src/queues/worker.js';
import { createNotifyProcessor } from '../../handlers/notify.js';

const config = loadConfig(process.env);
const logger = createLogger(config);
const role = startWorkerRole(config, logger, { processors: () => ({}) });
const processor = createNotifyProcessor(role.deps, {
  afterPosted: async (ts) => {
    process.stdout.write(`POSTED ${ts}\n`);
    await new Promise<never>(() => undefined);
  },
});
const worker = new Worker('notify', wrapProcessor('notify', processor, logger), {
  connection: role.deps.redis, prefix: config.queues.prefix, ...stallOptions(config.queues),
});
worker.on('ready', () => process.stdout.write('READY\n'));
