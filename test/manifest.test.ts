import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { claimsOf, FEATURES, SUBCOMMANDS } from '../src/slack/features/index.js';
import { usageHint } from '../src/slack/blocks/help.js';

const manifest = JSON.parse(readFileSync(new URL('../manifest.json', import.meta.url), 'utf8')) as {
  features: { slash_commands: { command: string; url: string; usage_hint: string }[]; shortcuts: { callback_id: string }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: { interactivity: { is_enabled: boolean; request_url: string }; event_subscriptions: { bot_events: string[] } };
};

describe('manifest.json', () => {
  it('declares the slash command the bot listens to, at the bot\'s events endpoint', () => {
    const cmd = manifest.features.slash_commands[0];
    expect(cmd?.command).toBe(loadConfig({}).slack.command);
    expect(cmd?.url).toMatch(/\/slack\/events$/);
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.settings.interactivity.request_url).toMatch(/\/slack\/events$/);
  });

  it('asks for the scopes of the Web API methods the bot calls', () => {
    expect(manifest.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['commands', 'chat:write', 'files:write']));
    // conversations.info at ack time: public, private and direct conversations (src/slack/bot-membership.ts)
    expect(manifest.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['channels:read', 'groups:read', 'im:read']));
    // conversations.history / .replies when a post's answer was lost, to find it instead of posting twice (src/outbox/deliver.ts)
    expect(manifest.oauth_config.scopes.bot).toEqual(expect.arrayContaining(['channels:history', 'groups:history', 'im:history']));
  });

  it('the usage hint lists every feature\'s subcommands, as derived from them (src/slack/features)', () => {
    const hint = manifest.features.slash_commands[0]?.usage_hint;
    // on failure, paste the expected value into manifest.json
    expect(hint).toBe(usageHint(SUBCOMMANDS));
    const words = hint?.split(' | ').map((h) => h.split(' ')[0]);
    for (const f of FEATURES) for (const s of f.subcommands) expect(words, `${f.name}: ${s.name}`).toContain(s.name);
  });

  it('declares exactly the shortcuts and bot events the features listen to', () => {
    const claims = claimsOf(FEATURES);
    expect(manifest.features.shortcuts.map((s) => s.callback_id).sort()).toEqual([...claims.shortcuts].sort());
    expect([...manifest.settings.event_subscriptions.bot_events].sort()).toEqual([...claims.events].sort());
  });
});
