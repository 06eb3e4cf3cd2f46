/**
 * The bot's features, in help order, and everything derived from them: the `/autogen` subcommands (plus
 * `help`, the router's own), the action_id prefixes, shortcuts and events they claim (the catch-all in
 * `listeners/unknown.ts` acks the rest; manifest.json declares the same, checked by test/manifest.test.ts).
 * Add a feature by writing its unit (`feature.ts`) and listing it here.
 */
import type { App } from '@slack/bolt';
import { help } from '../commands/help.js';
import type { Subcommand } from '../commands/types.js';
import type { BotDeps } from '../deps.js';
import { auditFeature } from './audit.js';
import { diagnoseFeature } from './diagnose.js';
import type { Feature } from './feature.js';
import { guideFeature } from './guide.js';
import { incidentsFeature } from './incidents.js';
import { responseFeature } from './response.js';

export type { Feature } from './feature.js';

export const FEATURES: readonly Feature[] = [diagnoseFeature, guideFeature, incidentsFeature, responseFeature, auditFeature];

/** Every subcommand of `features`, in order, then `help` (which lists them). */
export function subcommandsOf(features: readonly Feature[]): Subcommand[] {
  return [...features.flatMap((f) => f.subcommands), help];
}

/** What `features` claim, for the catch-all (and the manifest). */
export function claimsOf(features: readonly Feature[]): { actionPrefixes: string[]; shortcuts: string[]; events: string[] } {
  return {
    actionPrefixes: features.flatMap((f) => f.actionPrefixes),
    shortcuts: features.flatMap((f) => f.shortcuts),
    events: features.flatMap((f) => f.events),
  };
}

/**
 * Pure: what would make `features` fight over a word or an id — a name twice, a subcommand word (name or
 * alias) twice, an action prefix that starts another (Bolt runs every matching listener, so both would
 * answer a click), a shortcut or event twice. Empty when they can be registered together.
 */
export function featureConflicts(features: readonly Feature[]): string[] {
  const problems: string[] = [];
  const twice = (what: string, items: readonly { key: string; owner: string }[]): void => {
    const seen = new Map<string, string>();
    for (const { key, owner } of items) {
      const first = seen.get(key);
      if (first !== undefined) problems.push(`${what} "${key}" is claimed by ${first} and ${owner}`);
      else seen.set(key, owner);
    }
  };
  twice('feature name', features.map((f) => ({ key: f.name, owner: f.name })));
  twice('subcommand word', subcommandsOf(features).flatMap((s) => [s.name, ...(s.aliases ?? [])].map((key) => ({
    key, owner: features.find((f) => f.subcommands.includes(s))?.name ?? 'the router',
  }))));
  twice('shortcut', features.flatMap((f) => f.shortcuts.map((key) => ({ key, owner: f.name }))));
  twice('event', features.flatMap((f) => f.events.map((key) => ({ key, owner: f.name }))));
  const prefixes = features.flatMap((f) => f.actionPrefixes.map((p) => ({ p, owner: f.name })));
  for (const a of prefixes) {
    if (a.p.length === 0) problems.push(`${a.owner} claims an empty action prefix (every action)`);
    for (const b of prefixes) {
      if (a !== b && a.p.length > 0 && b.p.startsWith(a.p)) problems.push(`action prefix "${a.p}" (${a.owner}) also matches "${b.p}" (${b.owner})`);
    }
  }
  return problems;
}

/** Registers every feature's listeners, in order; refuses features that conflict (`featureConflicts`). */
export function registerFeatures(app: App, deps: BotDeps, features: readonly Feature[]): void {
  const problems = featureConflicts(features);
  if (problems.length > 0) throw new Error(`features conflict: ${problems.join('; ')}`);
  for (const f of features) f.register(app, deps);
}

/** The subcommands of the bot's features, as the router, help and the Home tab list them. */
export const SUBCOMMANDS: readonly Subcommand[] = subcommandsOf(FEATURES);
