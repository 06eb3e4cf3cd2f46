/**
 * Queue → processor. Each processor is `createXProcessor(deps)`; add a feature's processor here.
 */
import type { RedisClient } from '../src/redis/connect.js';
import type { WebClient } from '@slack/web-api';
import type { Config } from '../src/config.js';
import type { Logger } from '../src/log.js';
import type { Queues } from '../src/queues/queues.js';
import type { Processor } from '../src/queues/worker.js';
import type { QueueName } from '../src/queues/names.js';
import type { Outbox, ChannelRate } from '../src/outbox/index.js';
import type { BridgeClient } from '../src/runtime/client.js';
import type { Presenters } from '../src/view/presenters.js';
import { createAlertProcessor } from './alert.js';
import { createDiagnoseProcessor } from './diagnose.js';
import { createMonitorProcessor } from './monitor.js';
import { createNotifyProcessor } from './notify.js';
import { createRespondProcessor } from './respond.js';
import { createExecuteProcessor } from './execute.js';
import { createVerifyProcessor } from './verify.js';
import { createGuideProcessor } from './guide.js';

export interface WorkerDeps {
  readonly config: Config;
  readonly logger: Logger;
  /** Worker connection (maxRetriesPerRequest: null). */
  readonly redis: RedisClient;
  /** Key prefix for our own Redis keys (hash-tagged, trailing ':'). */
  readonly keyPrefix: string;
  readonly queues: Queues;
  readonly outbox: Outbox;
  /** How the domain's messages are shown (the roles wire the Slack presenters, src/slack/presenters; the interface is src/view/presenters.ts). */
  readonly presenters: Presenters;
  /** Bridge client of a configured runtime; throws `RUNTIME_UNKNOWN` otherwise. */
  bridgeFor(runtime: string): BridgeClient;
  /** Slack Web API client (used only by the notify processor: everything else posts via `outbox`). */
  readonly slack: WebClient;
  readonly rate: ChannelRate;
  now(): Date;
}

export type ProcessorMap = Partial<{ [Q in QueueName]: Processor<Q> }>;

export function createProcessors(deps: WorkerDeps): ProcessorMap {
  return {
    diagnose: createDiagnoseProcessor(deps),
    notify: createNotifyProcessor(deps),
    respond: createRespondProcessor(deps),
    execute: createExecuteProcessor(deps),
    verify: createVerifyProcessor(deps),
    guide: createGuideProcessor(deps),
    alert: createAlertProcessor(deps),
    monitor: createMonitorProcessor(deps),
  };
}
