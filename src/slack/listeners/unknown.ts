/**
 * Catch-alls for interactions no feature listener claims: an old button, a menu, a shortcut or a modal this
 * version does not know. Bolt acks nothing by itself, so without these Slack shows the user an error after
 * 3 s. Bolt runs EVERY matching listener (not the first), so each catch-all matches only ids outside the
 * bot's own (the prefixes and shortcuts its features claim, `claimsOf` in src/slack/features); registered
 * last in `app.ts`.
 *
 * Payloads Bolt cannot even route (no `user`, so its source building throws before any listener) reach
 * `interactionErrorHandler`, which acks and logs the reason instead of Bolt's bare 500.
 */
import type { App, BlockAction, SlackShortcut, ViewClosedAction, ViewSubmitAction } from '@slack/bolt';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OpsError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { code, md, type Mrkdwn } from '../blocks/mrkdwn.js';
import { errorAckText } from '../blocks/error-ack.js';
import type { BotDeps } from '../deps.js';

const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Pure: a pattern matching every id that does not start with one of `prefixes`. */
export function notPrefixedBy(prefixes: readonly string[]): RegExp {
  // `(?!(?:))` would match nothing: no prefixes claimed → every id is unknown
  if (prefixes.length === 0) return /^/s;
  return new RegExp(`^(?!(?:${prefixes.map(escapeRegExp).join('|')}))`, 's');
}

/** Pure: a pattern matching every id except exactly `ids`. */
export function notOneOf(ids: readonly string[]): RegExp {
  if (ids.length === 0) return /^/s;
  return new RegExp(`^(?!(?:${ids.map(escapeRegExp).join('|')})$)`, 's');
}

/** Longest id shown back to the user (Slack's own action_id limit is 255). */
const SHOWN_ID_MAX = 255;

/** Pure: the ephemeral for an unknown action; the id is escaped and cannot close its code span. */
export function unknownActionText(actionId: string): Mrkdwn {
  const shown = actionId.length > SHOWN_ID_MAX ? `${actionId.slice(0, SHOWN_ID_MAX)}…` : actionId;
  return errorAckText(new OpsError('INTERACTION_UNKNOWN', { action_id: shown }, { detail: md`(action ${code(shown)})` }));
}

interface InteractionBody {
  type?: unknown;
  user?: { id?: unknown } | null;
  channel?: { id?: unknown } | null;
  team?: unknown;
  actions?: unknown;
  callback_id?: unknown;
  view?: { callback_id?: unknown } | null;
}

/** Pure: the interaction payload inside a Slack request body (form `payload=` JSON), or undefined. */
export function interactionPayload(rawBody: string): InteractionBody | undefined {
  let json: string | null;
  try {
    json = new URLSearchParams(rawBody).get('payload');
  } catch {
    return undefined;
  }
  if (!json) return undefined;
  try {
    const v: unknown = JSON.parse(json);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as InteractionBody) : undefined;
  } catch {
    return undefined;
  }
}

/** The `type` of every interaction payload Slack sends to the interactivity URL. */
const INTERACTION_TYPES: ReadonlySet<string> = new Set(['block_actions', 'block_suggestion', 'shortcut', 'message_action', 'view_submission', 'view_closed', 'interactive_message', 'dialog_submission', 'dialog_cancellation', 'dialog_suggestion']);

/** Pure: why Bolt could not route this interaction payload, or undefined when it looks routable. */
export function malformedReason(body: InteractionBody): string | undefined {
  if (typeof body.type !== 'string') return 'interaction payload without a type';
  if (typeof body.user?.id !== 'string') return `${body.type} payload without a user`;
  if ((body.team === undefined || body.team === null) && typeof (body.user as { team_id?: unknown }).team_id !== 'string') return `${body.type} payload without a team`;
  if (body.type === 'block_actions' && (!Array.isArray(body.actions) || body.actions.length === 0)) return 'block_actions payload without actions';
  if ((body.type === 'view_submission' || body.type === 'view_closed') && (body.view === undefined || body.view === null)) return `${body.type} payload without a view`;
  return undefined;
}

/** Whatever we can say about a payload's ids, for the log line. */
function payloadIds(body: InteractionBody): Record<string, unknown> {
  const first = Array.isArray(body.actions) ? (body.actions[0] as { action_id?: unknown } | undefined) : undefined;
  return {
    type: body.type,
    ...(first?.action_id !== undefined ? { action_id: first.action_id } : {}),
    ...(body.callback_id !== undefined ? { callback_id: body.callback_id } : {}),
    ...(body.view?.callback_id !== undefined ? { callback_id: body.view.callback_id } : {}),
  };
}

/** A buffered request as Bolt's HTTPReceiver hands it over (it keeps the raw body for the signature). */
type BufferedRequest = IncomingMessage & { rawBody?: Buffer };

/**
 * The HTTP receiver's `processEventErrorHandler`: an interaction payload Bolt could not route is acked
 * (Slack would otherwise show the user an error) and logged with the reason; any other failure is logged
 * with its detail (Bolt's default keeps it at debug) and answered 500 as before.
 */
export function interactionErrorHandler(logger: Logger) {
  return async ({ error, request, response }: { error: Error; request: IncomingMessage; response: ServerResponse }): Promise<boolean> => {
    const raw = (request as BufferedRequest).rawBody?.toString('utf8');
    const body = raw === undefined ? undefined : interactionPayload(raw);
    const reason = body ? malformedReason(body) : undefined;
    if (response.headersSent) {
      logger.error({ err: error, ...(body ? payloadIds(body) : {}) }, 'slack request failed after its ack');
      return false;
    }
    if (body && reason) {
      logger.warn({ reason, ...payloadIds(body), err_message: error.message }, 'malformed interaction payload acked and ignored');
      // `true` only stops Bolt's no-ack timer: the 200 itself is ours to send
      response.writeHead(200);
      response.end();
      return true;
    }
    if ((error as { code?: unknown }).code === 'slack_bolt_authorization_error') {
      logger.warn({ err: error }, 'slack request not authorized');
      response.writeHead(401);
      response.end();
      return false;
    }
    logger.error({ err: error, ...(body ? payloadIds(body) : {}) }, 'slack request failed');
    response.writeHead(500);
    response.end();
    return false;
  };
}

/** Socket Mode's `processEventErrorHandler`: the same decision; `true` acks the envelope. */
export function socketInteractionErrorHandler(logger: Logger) {
  return async ({ error, event }: { error: Error; event: { body?: unknown } }): Promise<boolean> => {
    const body = event.body !== null && typeof event.body === 'object' ? (event.body as InteractionBody) : undefined;
    // Socket Mode also carries Events API envelopes: only interaction payloads are judged here
    const reason = body && typeof body.type === 'string' && INTERACTION_TYPES.has(body.type) ? malformedReason(body) : undefined;
    if (body && reason) {
      logger.warn({ reason, ...payloadIds(body), err_message: error.message }, 'malformed interaction payload acked and ignored');
      return true;
    }
    logger.error({ err: error, ...(body ? payloadIds(body) : {}) }, 'slack event failed');
    return (error as { code?: unknown }).code === 'slack_bolt_authorization_error';
  };
}

/** What the features claim: every other action id and shortcut callback id is acked here. */
export interface Claimed {
  readonly actionPrefixes: readonly string[];
  readonly shortcuts: readonly string[];
}

export function register(app: App, deps: BotDeps, claimed: Claimed): void {
  const log = deps.logger.child({ surface: 'unknown-interaction' });

  app.action<BlockAction>({ action_id: notPrefixedBy(claimed.actionPrefixes) }, async ({ ack, body, action }) => {
    await ack();
    const user = body.user?.id;
    const channel = body.channel?.id;
    const where = { action_id: action.action_id, action_type: action.type, container: (body.container as { type?: string } | undefined)?.type, user, channel };
    if (!user || !channel) {
      // App Home and modal clicks carry no channel: nowhere to post an ephemeral
      log.info({ ...where, reason: user ? 'no channel to answer in' : 'no user' }, 'unknown action acked');
      return;
    }
    log.info(where, 'unknown action acked; user told');
    await deps.outbox.ephemeral({ channel, user, text: unknownActionText(action.action_id) })
      .catch((err: unknown) => log.error({ err, ...where }, 'could not tell the user about an unknown action'));
  });

  app.shortcut<SlackShortcut>({ callback_id: notOneOf(claimed.shortcuts) }, async ({ ack, shortcut }) => {
    await ack();
    log.info({ callback_id: shortcut.callback_id, shortcut_type: shortcut.type, user: shortcut.user?.id }, 'unknown shortcut acked');
  });

  app.view<ViewSubmitAction>({ callback_id: /.*/s, type: 'view_submission' }, async ({ ack, view, body }) => {
    // an ack without errors closes the modal
    await ack();
    log.info({ callback_id: view.callback_id, view_type: 'view_submission', user: body.user?.id }, 'unknown view submission acked');
  });

  app.view<ViewClosedAction>({ callback_id: /.*/s, type: 'view_closed' }, async ({ ack, view, body }) => {
    await ack();
    log.info({ callback_id: view.callback_id, view_type: 'view_closed', user: body.user?.id }, 'unknown view close acked');
  });
}
