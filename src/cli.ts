/**
 * Entry point: `tsx src/cli.ts <bot|worker|all|demo>`.
 *   bot    — Bolt (HTTP or Socket Mode): verify, parse, ack, enqueue; the alert intake on its own port
 *   worker — BullMQ processors (diagnose, notify, alert, monitor, …); schedules the monitor's polls
 *   all    — both in one process
 *   demo   — embedded defaults: local Redis, demo fleet with a fault, Slack sandbox, bot+worker; runs
 *            `/autogen diagnose ChatAgent` and prints the posted report
 * The only place that hands `process.env` to `loadConfig`. SIGTERM/SIGINT stop gracefully.
 */
import { loadConfig, type Role } from './config.js';
import { isOpsError } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { startBotRole } from './roles/bot.js';
import { startWorkerRole } from './roles/worker.js';
import { runDemo } from './roles/demo.js';
import { startIntakeRole } from './intake/role.js';
import { scheduleMonitors } from './monitor/schedule.js';
import { scheduleStaleCheck } from './incidents/stale.js';

const ROLES: readonly Role[] = ['bot', 'worker', 'all', 'demo'];

function onSignals(logger: Logger, stop: () => Promise<void>): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping');
    stop().then(() => process.exit(0), (err: unknown) => {
      logger.error({ err }, 'error while stopping');
      process.exit(1);
    });
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

async function main(argv: readonly string[]): Promise<void> {
  const role = argv[0] as Role | undefined;
  if (!role || !ROLES.includes(role)) {
    console.error(`usage: tsx src/cli.ts <${ROLES.join('|')}>`);
    process.exit(2);
  }
  const config = loadConfig(process.env, role);
  const logger = createLogger(config);
  process.on('unhandledRejection', (err) => logger.error({ err }, 'unhandled rejection'));
  if (role === 'demo') {
    process.exit(await runDemo(config, logger, onSignals));
  }
  const stops: (() => Promise<void>)[] = [];
  if (role === 'worker' || role === 'all') {
    const worker = startWorkerRole(config, logger);
    stops.push(() => worker.stop());
    if (config.readiness.workerPort !== undefined) await worker.serveHealth();
    await scheduleMonitors(worker.deps.queues, config, logger);
    await scheduleStaleCheck(worker.deps.queues, config, logger);
  }
  if (role === 'bot' || role === 'all') {
    const bot = await startBotRole(config, logger);
    stops.unshift(() => bot.stop());
    const intake = await startIntakeRole(config, logger);
    if (intake) stops.unshift(() => intake.stop());
  }
  onSignals(logger, async () => {
    // In order (intake and Slack first, so nothing new arrives, then workers); a failing step is logged
    // and the rest still run, so Redis connections are closed whatever happened before.
    const failed: unknown[] = [];
    for (const stop of stops) {
      try {
        await stop();
      } catch (err) {
        logger.error({ err }, 'a component failed to stop; stopping the others');
        failed.push(err);
      }
    }
    if (failed.length > 0) throw new AggregateError(failed, `${failed.length} component(s) failed to stop`);
  });
}

main(process.argv.slice(2)).catch((err: unknown) => {
  if (isOpsError(err)) {
    console.error(`${err.code}: ${err.message}\n${err.hint}`);
  } else {
    console.error(err);
  }
  process.exit(1);
});
