/**
 * The one catalogue of coded errors. Every error a Slack user, an HTTP caller or an operator can see has a
 * stable code here, a message saying what is wrong and a hint saying what to do. `docs/errors.md` documents
 * the same codes (kept in step by `test/errors.test.ts`).
 *
 * `transient: true` means "retry later may succeed" (BullMQ retries with back-off); `false` means the
 * input or setup is wrong and a retry cannot help (the job fails once, as `UnrecoverableError`).
 */

import { escapeText, md, type Mrkdwn } from './slack/blocks/mrkdwn.js';
import { renderRich } from './slack/blocks/rich-text.js';
import type { RichText } from './view/rich-text.js';

export interface ErrorSpec {
  /** What is wrong, in one sentence, for humans. */
  readonly message: string;
  /** What to do about it. */
  readonly hint: string;
  /** HTTP status when the error answers an HTTP request (intake, bridge proxying). */
  readonly httpStatus?: number;
  /** Whether a retry later may succeed. */
  readonly transient: boolean;
}

export const ERRORS = {
  // --- configuration and start-up ---------------------------------------------------------------
  CONFIG_INVALID: {
    message: 'The configuration is invalid.',
    hint: 'Fix every variable listed (see .env.example for each variable and its format) and start again.',
    transient: false,
  },
  // --- slash commands -----------------------------------------------------------------------------
  COMMAND_UNKNOWN: {
    message: 'That is not an /autogen subcommand.',
    hint: 'Type `/autogen help` to see the subcommands, e.g. `/autogen diagnose ChatAgent`.',
    httpStatus: 400,
    transient: false,
  },
  COMMAND_USAGE: {
    message: 'The subcommand is missing an argument or has too many.',
    hint: 'Type it as shown in its usage line, e.g. `/autogen diagnose ChatAgent prod`.',
    httpStatus: 400,
    transient: false,
  },
  AGENT_NAME_INVALID: {
    message: 'That is not a valid AutoGen agent type name.',
    hint: 'Agent types use letters, digits, `_`, `-` and `.` only (at most 100 characters), e.g. `ChatAgent`; an AgentChat participant may be named `<team>/<agent>`.',
    httpStatus: 400,
    transient: false,
  },
  RUNTIME_UNKNOWN: {
    message: 'No AutoGen runtime of that name is configured.',
    hint: 'Use one of the configured runtime names (AUTOGEN_RUNTIMES), or leave it out to use the default runtime.',
    httpStatus: 400,
    transient: false,
  },
  ACTION_UNKNOWN: {
    message: 'That button is not known to this version of the bot.',
    hint: 'Run the command again to get a fresh message with current buttons.',
    httpStatus: 400,
    transient: false,
  },
  ACTION_PAYLOAD_INVALID: {
    message: 'The button carried a value the bot cannot read.',
    hint: 'Run the command again to get a fresh message; if it persists, report it with the message link.',
    httpStatus: 400,
    transient: false,
  },
  INTERACTION_UNKNOWN: {
    message: 'This button or menu is not known to this version of AutoGen Ops.',
    hint: 'It may come from an older message or another version of the bot: run the command again to get a fresh message.',
    httpStatus: 400,
    transient: false,
  },
  QUEUE_UNAVAILABLE: {
    message: 'The job queue (Redis) is not reachable, so nothing was queued.',
    hint: 'Try again in a minute; operators: check REDIS_URL and that Redis is up.',
    httpStatus: 503,
    transient: true,
  },
  NOT_READY_REDIS: {
    message: 'Not ready: Redis did not answer in time, so nothing could be queued or processed.',
    hint: 'Take this process out of rotation until /readyz answers 200; operators: check REDIS_URL and that Redis is up (docs/operations.md).',
    httpStatus: 503,
    transient: true,
  },
  NOT_READY_QUEUES: {
    message: 'Not ready: Redis answers but a job queue could not be read, or this worker is not taking jobs.',
    hint: 'Look at the process log for the queue named in the reason; a worker that is stopping is not ready on purpose (docs/operations.md).',
    httpStatus: 503,
    transient: true,
  },
  // --- jobs -----------------------------------------------------------------------------------------
  JOB_PAYLOAD_INVALID: {
    message: 'A job payload does not match its queue schema.',
    hint: 'The producer and the worker disagree on the payload; deploy the same version of both.',
    httpStatus: 400,
    transient: false,
  },
  // --- the runtime bridge ---------------------------------------------------------------------------
  RUNTIME_UNREACHABLE: {
    message: 'The AutoGen runtime bridge did not answer (down, unreachable or too slow).',
    hint: 'Check that the AutoGen process and its bridge are running and reachable from the worker at the configured URL.',
    httpStatus: 502,
    transient: true,
  },
  RUNTIME_AUTH_FAILED: {
    message: 'The runtime bridge refused the bot\'s token.',
    hint: 'Set AUTOGEN_RUNTIME_<NAME>_TOKEN to the bridge\'s token for that runtime.',
    httpStatus: 502,
    transient: false,
  },
  RUNTIME_REQUEST_REJECTED: {
    message: 'The runtime bridge rejected the request.',
    hint: 'See the bridge error code in the details; the bot and bridge versions may disagree.',
    httpStatus: 502,
    transient: false,
  },
  RUNTIME_RESPONSE_TOO_LARGE: {
    message: 'The runtime bridge answered with a body larger than the bot reads.',
    hint: 'Ask for less (a shorter window or a lower limit); operators: raise BRIDGE_MAX_RESPONSE_BYTES only if the bridge is trusted and the answer is legitimately that large.',
    httpStatus: 502,
    transient: false,
  },
  RUNTIME_BAD_RESPONSE: {
    message: 'The runtime bridge answered with something that does not follow its API.',
    hint: 'Upgrade the bridge (autogen-ops-bridge) to the version that matches this bot (docs/bridge-api.md).',
    httpStatus: 502,
    transient: false,
  },
  AGENT_NOT_FOUND: {
    message: 'No agent of that type is registered in the runtime.',
    hint: 'Check the spelling (agent types are case-sensitive); the report lists the registered types.',
    httpStatus: 404,
    transient: false,
  },
  AGENT_AMBIGUOUS: {
    message: 'That name fits more than one agent in the runtime.',
    hint: 'Name the team too, as `<team>/<agent>`, or give the full agent type; the choices are listed.',
    httpStatus: 409,
    transient: false,
  },
  // --- guide subcommands (docs/commands.md) ---------------------------------------------------------
  MESSAGE_ID_INVALID: {
    message: 'That is not a message id the runtime could have issued.',
    hint: 'Copy the id from a report (`/autogen message`, `/autogen logs`, a snapshot), e.g. `/autogen trace 3f2a9c1e`.',
    httpStatus: 400,
    transient: false,
  },
  MESSAGE_NOT_FOUND: {
    message: 'The runtime knows no message with that id.',
    hint: 'The bridge keeps recent messages only: check the id and the runtime, or pick a newer id from `/autogen message <from> <to>`.',
    httpStatus: 404,
    transient: false,
  },
  LOG_WINDOW_INVALID: {
    message: 'The log window could not be read.',
    hint: 'Give a duration such as `15m`, `2h`, `1d` or an ISO time, e.g. `/autogen logs ChatAgent 30m ERROR`.',
    httpStatus: 400,
    transient: false,
  },
  GUIDE_FAILED: {
    message: 'The analysis could not be completed.',
    hint: 'Run the command again; if it keeps failing, operators: the worker log has the error under the job id shown.',
    transient: false,
  },
  LOG_WINDOW_TOO_LARGE: {
    message: 'The log window is longer than the bot may read at once.',
    hint: 'Ask for at most 24 hours (the `maxLogWindowH` threshold), e.g. `/autogen logs ChatAgent 6h`.',
    httpStatus: 400,
    transient: false,
  },
  // --- Slack Web API ------------------------------------------------------------------------------------
  SLACK_RATE_LIMITED: {
    message: 'Slack asked the bot to slow down (HTTP 429).',
    hint: 'Nothing to do: the message waits for Slack\'s Retry-After and is sent then.',
    transient: true,
  },
  SLACK_UNAVAILABLE: {
    message: 'The Slack Web API did not answer or answered with a server error.',
    hint: 'Nothing to do: the message is retried with back-off.',
    transient: true,
  },
  SLACK_API_ERROR: {
    message: 'The Slack Web API refused the call.',
    hint: 'See the Slack error in the details (e.g. `channel_not_found`: invite the bot to the channel; `invalid_auth`: check SLACK_BOT_TOKEN).',
    transient: false,
  },
  SLACK_PARENT_MISSING: {
    message: 'The Slack message to reply to or edit was never posted, or is too old to find.',
    hint: 'Look for the earlier error of the thread\'s first message (e.g. `channel_not_found`: invite the bot); this reply is not retried.',
    transient: false,
  },
  SLACK_AUTH_FAILED: {
    message: 'Slack did not accept the bot token at start-up (auth.test failed).',
    hint: 'Check SLACK_BOT_TOKEN (xoxb-…), or set SLACK_BOT_ID and SLACK_BOT_USER_ID to skip the start-up check.',
    transient: false,
  },
  // --- the bot's HTTP doors (docs/security.md) ---------------------------------------------------------
  SLACK_BODY_TOO_LARGE: {
    message: 'The Slack request body is larger than the bot accepts.',
    hint: 'Slack\'s own requests are far smaller; if a legitimate request hits this, raise SLACK_MAX_BODY_BYTES.',
    httpStatus: 413,
    transient: false,
  },
  METRICS_UNAUTHORIZED: {
    message: 'The metrics endpoint needs the bearer token.',
    hint: 'Send `Authorization: Bearer <METRICS_TOKEN>` (Prometheus: authorization.credentials_file in the scrape config).',
    httpStatus: 401,
    transient: false,
  },
  // --- alert intake and incidents (docs/alerting.md) ---------------------------------------------------
  INTAKE_UNAUTHORIZED: {
    message: 'The alert request carries no valid credentials.',
    hint: 'Send `Authorization: Bearer <token>` with a token listed in ALERT_SOURCES (Alertmanager: http_config.authorization).',
    httpStatus: 401,
    transient: false,
  },
  INTAKE_SIGNATURE_INVALID: {
    message: 'The alert request\'s HMAC signature is wrong or malformed, or its timestamp is missing.',
    hint: 'Send X-Signature-Timestamp: <unix seconds> and X-Signature-256: sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)> over the exact body bytes.',
    httpStatus: 401,
    transient: false,
  },
  INTAKE_SIGNATURE_EXPIRED: {
    message: 'The alert request\'s signed timestamp is outside the accepted window (a replay, or a clock that is off).',
    hint: 'Send X-Signature-Timestamp: <unix seconds now> and sign "<timestamp>.<body>"; keep the sender\'s clock in sync (window: ALERT_SIGNATURE_TOLERANCE_S, default 300 s).',
    httpStatus: 401,
    transient: false,
  },
  INTAKE_BODY_TOO_LARGE: {
    message: 'The alert request body is larger than the intake accepts.',
    hint: 'Send fewer alerts per request (Alertmanager: max_alerts) or raise ALERT_MAX_BODY_BYTES.',
    httpStatus: 413,
    transient: false,
  },
  INTAKE_MEDIA_TYPE: {
    message: 'The alert request body is not declared as JSON.',
    hint: 'Send the body with `Content-Type: application/json`.',
    httpStatus: 415,
    transient: false,
  },
  INTAKE_BODY_INVALID: {
    message: 'The alert request body is not valid JSON.',
    hint: 'Send one JSON document (UTF-8) as the body; see docs/alerting.md for the shapes.',
    httpStatus: 400,
    transient: false,
  },
  INTAKE_PAYLOAD_INVALID: {
    message: 'The alert payload does not have the expected shape.',
    hint: 'Fix the fields listed in `details.issues`; Alertmanager must send webhook version 4, others the generic shape in docs/alerting.md.',
    httpStatus: 422,
    transient: false,
  },
  INTAKE_ROUTE_UNKNOWN: {
    message: 'The alert intake has no such endpoint.',
    hint: 'POST to /alerts/alertmanager or /alerts/generic; GET /healthz for health.',
    httpStatus: 404,
    transient: false,
  },
  INCIDENT_NOT_FOUND: {
    message: 'That incident is not known (resolved long ago, or never existed).',
    hint: 'Type `/autogen incidents` to list the open incidents.',
    httpStatus: 404,
    transient: false,
  },
  INCIDENT_TRANSITION_INVALID: {
    message: 'That change is not possible in the incident\'s current state (e.g. acknowledging a resolved incident).',
    hint: 'Look at the incident\'s state in its thread; a new alert reopens a resolved incident.',
    httpStatus: 409,
    transient: false,
  },
  INCIDENT_MERGE_REFUSED: {
    message: 'Those two incidents cannot be merged: it is the same one, one of them is resolved, or they are in different channels.',
    hint: 'Choose another open incident of this channel, or type `/autogen incidents` to see them.',
    httpStatus: 409,
    transient: false,
  },
  INCIDENT_NOT_DIAGNOSABLE: {
    message: 'This incident names no agent of a configured runtime, so there is nothing to diagnose.',
    hint: 'Use `/autogen diagnose <agent> [runtime]` for the agent you suspect.',
    httpStatus: 422,
    transient: false,
  },
  ALERTMANAGER_RESPONSE_TOO_LARGE: {
    message: 'Alertmanager\'s API answered with a body larger than the bot reads (16 MiB).',
    hint: 'Check that ALERTMANAGER_URL points at Alertmanager itself; a group that large cannot be reconciled alert by alert.',
    httpStatus: 502,
    transient: false,
  },
  ALERTMANAGER_UNREACHABLE: {
    message: 'Alertmanager\'s API did not answer while reconciling a truncated alert group.',
    hint: 'Check ALERTMANAGER_URL (and ALERTMANAGER_TOKEN); the reconciliation is retried with back-off.',
    httpStatus: 502,
    transient: true,
  },
  // --- response automation: runbooks, plans, approvals, safety limits, audit (docs/runbooks.md) ------------
  RUNBOOK_INVALID: {
    message: 'A runbook file is invalid, so the worker did not start.',
    hint: 'Fix every problem listed (file:line path: what is wrong); docs/runbooks.md is the schema reference.',
    transient: false,
  },
  RUNBOOK_UNKNOWN: {
    message: 'No runbook has that id or scenario.',
    hint: 'Use an id from runbooks/*.yaml, e.g. `/autogen recover ChatAgent agent-wont-start`, or leave it out and let the bot match one.',
    httpStatus: 400,
    transient: false,
  },
  PLAN_NEEDS_CHANNEL: {
    message: 'A recovery plan must be posted where its approvers can see it, and I cannot post here.',
    hint: 'Invite me with `/invite @autogen-ops` and run the command again, or run it in a channel I am in (the alert channel).',
    httpStatus: 409,
    transient: false,
  },
  PLAN_NOT_FOUND: {
    message: 'That recovery plan is not known (never stored, or cleaned up).',
    hint: 'Ask for a fresh plan with `/autogen recover <agent>`.',
    httpStatus: 404,
    transient: false,
  },
  APPROVER_NOT_ALLOWED: {
    message: 'You are not allowed to decide on this plan.',
    hint: 'Ask one of the approvers the plan names; operators: the runbook\'s `approval.users` / `approval.groups` and APPROVAL_GROUPS.',
    httpStatus: 403,
    transient: false,
  },
  APPROVAL_EXPIRED: {
    message: 'This approval has expired; nothing was done.',
    hint: 'Click "New plan" (or type `/autogen recover <agent>`) to get a plan for the current state.',
    httpStatus: 410,
    transient: false,
  },
  PLAN_ALREADY_DECIDED: {
    message: 'This plan was already approved, rejected or replaced; nothing was done.',
    hint: 'Each plan runs at most once: read its outcome in the thread, or ask for a new plan.',
    httpStatus: 409,
    transient: false,
  },
  PLAN_STALE: {
    message: 'The plan changed after this button was shown; nothing was done.',
    hint: 'Review the current plan in the thread and approve that one.',
    httpStatus: 409,
    transient: false,
  },
  APPROVAL_SAME_PERSON: {
    message: 'You already approved this plan; the two-person rule needs someone else.',
    hint: 'Ask a second approver the plan names.',
    httpStatus: 409,
    transient: false,
  },
  APPROVAL_BY_REQUESTER: {
    message: 'You asked for this plan, so your approval does not count; nothing was done.',
    hint: 'Ask another approver the plan names (four eyes: high-risk plans, or every plan with APPROVAL_REQUIRE_OTHER_PERSON=true).',
    httpStatus: 403,
    transient: false,
  },
  AUTOMATION_OFF: {
    message: 'Automation is switched off, so no recovery action runs.',
    hint: 'Type `/autogen automation on` to switch it back on; `/autogen automation status` shows who switched it off and when.',
    httpStatus: 423,
    transient: false,
  },
  AUTOMATION_ON_NOT_ALLOWED: {
    message: 'Only an approver named in a runbook may switch response automation back on.',
    hint: 'Ask one of the approvers your runbooks name (`/autogen automation status` shows who switched it off); switching it off stays open to everyone.',
    httpStatus: 403,
    transient: false,
  },
  CIRCUIT_OPEN: {
    message: 'The circuit breaker is open: too many automated actions on this runtime in the window.',
    hint: 'Wait until the time given in the thread, act by hand, or raise RESPONSE_MAX_ACTIONS / shorten RESPONSE_ACTION_WINDOW_S.',
    httpStatus: 429,
    transient: false,
  },
  AUDIT_SUBJECT_INVALID: {
    message: 'That is not an incident id or a plan id.',
    hint: 'Use an id shown in a thread, e.g. `/autogen audit inc-lq2x3a1b2c` or `/autogen audit pl-…`, optionally followed by `json`.',
    httpStatus: 400,
    transient: false,
  },
  // --- local embedded defaults --------------------------------------------------------------------------
  LOCAL_SERVICE_FAILED: {
    message: 'A local service (Redis, demo fleet or Slack sandbox) could not be started.',
    hint: 'Run `make deps` (installs redis-server and the Python venv), then try again.',
    transient: false,
  },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** An error with a stable code from the catalogue. `details` must be JSON-serialisable and secret-free. */
export class OpsError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;
  readonly transient: boolean;
  readonly hint: string;
  readonly httpStatus: number | undefined;
  /** The message for Slack: the catalogue's words escaped, then the detail (mrkdwn built by our code). */
  readonly userMessage: Mrkdwn;

  /**
   * `detail` is shown to people as Slack mrkdwn, so it must be `Mrkdwn` (escaped untrusted text, or our
   * markup via `md`) or the domain's `RichText` (src/view/rich-text.ts, rendered here); `message` (logs, HTTP answers, plain-text reports) carries it as plain text.
   */
  constructor(code: ErrorCode, details: Record<string, unknown> = {}, options?: { cause?: unknown; detail?: Mrkdwn | RichText }) {
    const spec: ErrorSpec = ERRORS[code];
    const detail = options?.detail === undefined ? undefined : renderRich(options.detail);
    super(detail ? `${spec.message} ${plainOf(detail)}` : spec.message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.userMessage = detail ? md`${escapeText(spec.message)} ${detail}` : escapeText(spec.message);
    this.name = 'OpsError';
    this.code = code;
    this.details = details;
    this.transient = spec.transient;
    this.hint = spec.hint;
    this.httpStatus = spec.httpStatus;
  }

  /** Text for a person, as Slack mrkdwn: the message, then what to do. */
  userText(): Mrkdwn {
    return md`${this.userMessage} ${escapeText(this.hint)}`;
  }

  toJSON(): { code: ErrorCode; message: string; hint: string; details: Readonly<Record<string, unknown>> } {
    return { code: this.code, message: this.message, hint: this.hint, details: this.details };
  }
}

/** Mrkdwn read back as plain text: entities decoded, code spans' backticks kept (for logs and HTTP answers). */
function plainOf(text: Mrkdwn): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

export function isOpsError(err: unknown, code?: ErrorCode): err is OpsError {
  return err instanceof OpsError && (code === undefined || err.code === code);
}
