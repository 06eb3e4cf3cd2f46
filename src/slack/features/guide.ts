/**
 * The troubleshooting guide: its seven subcommands, the `guide:` buttons on its reports, the App Home tab
 * and the "health at a glance" message shortcut. The worker side is `handlers/guide.ts`; its blocks
 * `src/slack/blocks/guide.ts` and `guide-home.ts`.
 */
import { GUIDE_ACTION_PREFIX } from '../../diagnosis/guide-follow-ups.js';
import { health } from '../commands/health.js';
import { inspect } from '../commands/inspect.js';
import { logs } from '../commands/logs.js';
import { message } from '../commands/message.js';
import { perf } from '../commands/perf.js';
import { snapshot } from '../commands/snapshot.js';
import { trace } from '../commands/trace.js';
import { registerGuideActions } from '../listeners/guide-actions.js';
import { GLANCE_SHORTCUT, HOME_EVENT, register as registerHome } from '../listeners/home.js';
import type { Feature } from './feature.js';

export const guideFeature: Feature = {
  name: 'guide',
  subcommands: [health, perf, message, logs, trace, inspect, snapshot],
  actionPrefixes: [GUIDE_ACTION_PREFIX],
  shortcuts: [GLANCE_SHORTCUT],
  events: [HOME_EVENT],
  register(app, deps) {
    registerGuideActions(app, deps);
    registerHome(app, deps);
  },
};
