/**
 * The App Home tab and the message shortcut: both show the `/autogen` commands and every runtime's health
 * at a glance. The listener only acks and enqueues a `guide` job (`home` publishes the tab with
 * views.publish, `glance` answers the shortcut ephemerally in the message's channel and thread); reading
 * the runtimes happens in the worker.
 */
import type { App, MessageShortcut } from '@slack/bolt';
import type { EnqueueRequest } from '../commands/types.js';
import type { BotDeps } from '../deps.js';
import { ackThenEnqueue, enqueueWithin } from './enqueue.js';

/** The message shortcut's callback id (manifest.json `features.shortcuts`). */
export const GLANCE_SHORTCUT = 'autogen_glance';
/** The event of a user opening the App Home (manifest.json `event_subscriptions.bot_events`). */
export const HOME_EVENT = 'app_home_opened';
/** One Home refresh per user per this many seconds: opening the tab repeatedly does not flood the workers. */
export const HOME_REFRESH_S = 10;

/** Pure: the job for a user opening the Home tab (job id bucketed by time, so repeats within the window dedupe). */
export function homeJob(user: string, now: Date): EnqueueRequest {
  const bucket = Math.floor(now.getTime() / (HOME_REFRESH_S * 1000));
  return { queue: 'guide', jobId: `home-${user}-${bucket}`, payload: { tool: 'home', user, requested_at: now.toISOString() } };
}

/** Pure: the job for the message shortcut, answering in the message's thread. */
export function glanceJob(shortcut: Pick<MessageShortcut, 'channel' | 'user' | 'message' | 'trigger_id'>, now: Date): EnqueueRequest {
  const msg = shortcut.message as { ts?: string; thread_ts?: string };
  const thread = msg.thread_ts ?? msg.ts;
  return {
    queue: 'guide',
    jobId: `glance-${shortcut.trigger_id}`,
    payload: { tool: 'glance', channel: shortcut.channel.id, user: shortcut.user.id, ...(thread ? { thread_ts: thread } : {}), requested_at: now.toISOString() },
  };
}

export function register(app: App, deps: BotDeps): void {
  app.event(HOME_EVENT, async ({ event }) => {
    if (event.tab !== 'home') return;
    const log = deps.logger.child({ surface: 'home', user: event.user });
    try {
      await enqueueWithin(deps.queues, homeJob(event.user, deps.now()));
    } catch (err) {
      log.warn({ err }, 'home refresh not queued');
    }
  });

  app.shortcut<MessageShortcut>(GLANCE_SHORTCUT, async ({ shortcut, ack }) => {
    const log = deps.logger.child({ surface: 'shortcut', user: shortcut.user.id, channel: shortcut.channel.id });
    await ackThenEnqueue(ack, deps, log, 'glance', { channel: shortcut.channel.id, user: shortcut.user.id }, () => glanceJob(shortcut, deps.now()));
  });
}
