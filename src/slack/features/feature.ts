/**
 * A feature of the Slack bot as one unit, the way a Bolt app groups listeners or a fastify plugin groups
 * routes: what it answers (its `/autogen` subcommands), what it claims (action_id prefixes, shortcut
 * callback ids, bot events) and `register`, which adds its listeners to the app. The app walks a list of
 * units (`index.ts`); help, the Home tab, the catch-all for unclaimed interactions and the manifest's
 * usage hint, shortcuts and bot events are all derived from that list, so a unit is added in one place.
 *
 * Declarations and listeners must agree: `register` listens only on the prefixes, shortcuts and events
 * declared here (test/slack/features.test.ts checks it on a recording app), because the catch-all acks
 * everything the units do not declare.
 */
import type { App } from '@slack/bolt';
import type { Subcommand } from '../commands/types.js';
import type { BotDeps } from '../deps.js';

export interface Feature {
  /** Unique; names the unit in the start-up log line. */
  readonly name: string;
  /** Its `/autogen` subcommands, in the order help lists them. */
  readonly subcommands: readonly Subcommand[];
  /** `action_id` prefixes its buttons and menus use (e.g. `plan:`); no prefix may start another unit's. */
  readonly actionPrefixes: readonly string[];
  /** Callback ids of its shortcuts (manifest.json `features.shortcuts`). */
  readonly shortcuts: readonly string[];
  /** Events API types it listens to (manifest.json `settings.event_subscriptions.bot_events`). */
  readonly events: readonly string[];
  /** Adds its action, shortcut and event listeners (its subcommands go through the one command router). */
  register(app: App, deps: BotDeps): void;
}
