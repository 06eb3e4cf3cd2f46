import type { OpsError } from '../../errors.js';
import { escapeText, md, type Mrkdwn } from './mrkdwn.js';

/** The ephemeral text for a coded error: what is wrong, what to type instead, and the code. */
export function errorAckText(err: OpsError): Mrkdwn {
  return md`⚠️ ${err.userMessage}\n${escapeText(err.hint)} _(${escapeText(err.code)})_`;
}
