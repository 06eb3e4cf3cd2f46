import type { OpsError } from '../../errors.js';
import { escapeText, md, type Mrkdwn } from './mrkdwn.js';

/**
 * The ephemeral text for a coded error: what is wrong, what to type instead, and the code — the one
 * rendering of an `OpsError` for a Slack user (`OpsError.userText()` is the same words without the code).
 * `lead` says what was being done ("No recovery plan for …: "); `oneLine` joins message and hint with a
 * space instead of a line break.
 */
export function errorAckText(err: OpsError, opts: { readonly lead?: Mrkdwn; readonly oneLine?: boolean } = {}): Mrkdwn {
  const body = opts.oneLine ? err.userText() : md`${err.userMessage}\n${escapeText(err.hint)}`;
  return md`⚠️ ${opts.lead ?? md``}${body} _(${escapeText(err.code)})_`;
}
