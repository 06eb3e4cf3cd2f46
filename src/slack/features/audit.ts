/**
 * The audit log of response automation: `/autogen audit [incident|plan] [json]` (read on a worker from
 * the append-only stream, src/audit/stream.ts). A subcommand only: no buttons, shortcuts or events.
 */
import { audit } from '../commands/audit.js';
import type { Feature } from './feature.js';

export const auditFeature: Feature = {
  name: 'audit',
  subcommands: [audit],
  actionPrefixes: [],
  shortcuts: [],
  events: [],
  register() {},
};
