/**
 * Diagnose: `/autogen diagnose <agent>` and the `diag:` buttons under its report (Show logs, Run again,
 * Propose recovery). The worker side is `handlers/diagnose.ts`; its blocks `src/slack/blocks/report.ts`.
 */
import { diagnose } from '../commands/diagnose.js';
import { DIAG_ACTION_PREFIX, registerDiagActions } from '../listeners/diag-actions.js';
import type { Feature } from './feature.js';

export const diagnoseFeature: Feature = {
  name: 'diagnose',
  subcommands: [diagnose],
  actionPrefixes: [DIAG_ACTION_PREFIX],
  shortcuts: [],
  events: [],
  register: registerDiagActions,
};
