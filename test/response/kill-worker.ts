/**
 * A worker process for the "killed after the bridge acted" test: it takes `execute` jobs with the
 * configured lock and stall settings and, right after the bridge answers the first action (before the outcome is stored), prints `ACTED` and
 * hangs, so the test can SIGKILL it at exactly that point. Configuration from the environment the test
 * passes (loaded by the product's `loadConfig`).
 */
import { Worker } from 'bullmq';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { startWorkerRole } from '../../src/roles/worker.js';
import { stallOptions, wrapProcessor } from '../../src/queues/worker.js';
import { createExecuteProcessor } from '../../handlers/execute.js';

const config = loadConfig(process.env);
const logger = createLogger(config);
const role = startWorkerRole(config, logger, { processors: () => ({}) });
const processor = createExecuteProcessor(role.deps, {
  afterBridgeCall: async (action, result) => {
    process.stdout.write(`ACTED ${action.index} ${result.action_id ?? ''}\n`);
    await new Promise<never>(() => undefined);
  },
});
// the product's lock and stall settings (WORKER_LOCK_DURATION_MS etc., from the test's environment)
const worker = new Worker('execute', wrapProcessor('execute', processor, logger), {
  connection: role.deps.redis, prefix: config.queues.prefix, ...stallOptions(config.queues),
});
worker.on('ready', () => process.stdout.write('READY\n'));
