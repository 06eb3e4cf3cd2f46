/**
 * The local Slack stand-in, for tests and `make demo`: a Web API subset with Slack's response shapes
 * (auth.test, chat.postMessage, chat.update, chat.postEphemeral, files.getUploadURLExternal + upload +
 * files.completeUploadExternal, views.publish, usergroups.users.list, conversations.members, conversations.info,
 * conversations.history and conversations.replies with message metadata), a recorder of everything the bot sent, response_url
 * endpoints, and a sender of correctly signed slash commands and button clicks. The bot reaches it through
 * Bolt's `clientOptions.slackApiUrl` (= `sandbox.apiUrl`).
 *
 * Faults for tests: `failAuthTest` (auth.test answers invalid_auth), `rateLimit(method, retryAfterS, n)`,
 * `serverError` (every Web API call answers HTTP 5xx while set: Slack having an outage), `loseAnswers(method, n)`
 * (the call is carried out, then the connection drops before the answer: the caller cannot know it happened),
 * `grantedScopes` (without `channels:history` etc. the history methods answer `missing_scope`).
 * Slack's own refusals, checked as Slack checks them (docs/sandbox.md, "Slack's refusals"): membership
 * (`uninvite`: the bot is in every channel unless a test says otherwise; `conversations.info` answers it as
 * Slack does: `is_member: false` for a public channel, `channel_not_found` for a private one or a DM), Block Kit limits
 * (`invalid_blocks`, `block-limits.ts`), message text length (`msg_too_long`, `maxTextChars`) and a per-channel
 * posting rate (`channelRate`: 429 `ratelimited` with Retry-After). Every refusal is kept in `refusals`.
 * Workspace data for tests: `userGroups` (user group id → member user ids, see `defineUserGroup`),
 * `channelMembers` (channel id → member user ids).
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { request } from 'undici';
import { signedHeaders } from './signing.js';
import { BLOCK_KIT, blockKitErrors } from './block-limits.js';

type Json = Record<string, unknown>;

export interface RecordedCall {
  readonly method: string;
  readonly args: Json;
  readonly token: string | undefined;
  readonly at: number;
}

export interface SandboxMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: Json[];
  thread_ts: string | undefined;
  /** Every edit applied by chat.update, oldest first. */
  edits: { text: string; blocks: Json[] }[];
  /** The message's metadata (`event_type`, `event_payload`), when it was posted with some. */
  metadata?: Json;
}

export interface SandboxEphemeral {
  channel: string;
  user: string;
  text: string;
  blocks: Json[];
  ts: string;
  thread_ts: string | undefined;
}

/** What a response_url was issued for (a slash command, or an interaction with a message or ephemeral). */
export interface ResponseTarget {
  channel: string;
  user: string;
  message_ts: string | undefined;
  ephemeral?: boolean;
}

export interface BlockActionInput {
  user: string;
  userName?: string;
  channel: string;
  channelName?: string;
  messageTs: string;
  /** The message the element is in; undefined for an ephemeral. */
  message?: Pick<SandboxMessage, 'text' | 'blocks'> & { thread_ts?: string | undefined };
  /** The interactive element as posted (type, action_id, text, value, …). */
  element: Json;
  blockId: string | undefined;
  /** For select menus and overflows: the chosen option. */
  selectedOption?: Json;
}

/** A channel the bot is not in: how Slack answers for it (see `Sandbox.uninvite`). */
export type UninvitedKind = 'public' | 'private' | 'im';

/** A Web API call the sandbox refused as Slack would (`ok: false` or a 429). */
export interface Refusal {
  readonly method: string;
  readonly channel: string | undefined;
  readonly error: string;
  readonly at: number;
}

export interface SandboxFile {
  id: string;
  filename: string;
  title: string | undefined;
  content: string;
  channel: string | undefined;
  thread_ts: string | undefined;
}

export interface SandboxOptions {
  botToken: string;
  signingSecret: string;
  port?: number;
  teamId?: string;
  botId?: string;
  botUserId?: string;
  /** App-level token accepted by apps.connections.open (Socket Mode). */
  appToken?: string;
}

export interface SendResult {
  status: number;
  text: string;
  json: Json | undefined;
}

export interface CommandInput {
  text: string;
  command?: string;
  user?: string;
  channel?: string;
  userName?: string;
  channelName?: string;
  /** Adds `x-slack-retry-num` (and reason) as Slack does on a redelivery. */
  retryNum?: number;
  /** Re-send exactly this body (a replay); default a fresh body with a new trigger_id. */
  rawBody?: string;
  /** Signing time, epoch seconds (default now). */
  timestampS?: number;
  /** Sign with this secret instead (a bad signature). */
  secret?: string;
}

function parseBody(raw: string, contentType: string | undefined): Json {
  if ((contentType ?? '').includes('application/json')) {
    try { return JSON.parse(raw) as Json; } catch { return {}; }
  }
  const out: Json = {};
  for (const [k, v] of new URLSearchParams(raw)) {
    if ((v.startsWith('[') || v.startsWith('{')) && ['blocks', 'attachments', 'files', 'view', 'metadata'].includes(k)) {
      try { out[k] = JSON.parse(v); continue; } catch { /* keep the string */ }
    }
    out[k] = v;
  }
  return out;
}

/** The content of the first file part of a multipart/form-data body (how files.uploadV2 sends files), else the body. */
function uploadedContent(raw: Buffer, contentType: string | undefined): string {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType ?? '');
  const b = boundary?.[1] ?? boundary?.[2];
  if (!b) return raw.toString('utf8');
  for (const part of raw.toString('utf8').split(`--${b}`)) {
    const sep = part.indexOf('\r\n\r\n');
    if (sep < 0 || !/filename=/i.test(part.slice(0, sep))) continue;
    return part.slice(sep + 4).replace(/\r\n$/, '');
  }
  return '';
}

async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export class Sandbox {
  readonly calls: RecordedCall[] = [];
  readonly messages: SandboxMessage[] = [];
  readonly ephemerals: SandboxEphemeral[] = [];
  readonly responses: { id: string; body: Json }[] = [];
  /** Where each response_url handed out points: the channel, user and message it was issued for. */
  readonly responseTargets = new Map<string, ResponseTarget>();
  readonly files: SandboxFile[] = [];
  /** What each command/interaction request got back from the bot (the ack). */
  readonly acks: SendResult[] = [];
  failAuthTest = false;
  /**
   * Channel id → member user ids, answered by conversations.members (paged: `limit`, `cursor`); a channel
   * not listed answers `channel_not_found`, as Slack does for a private channel the bot is not in.
   */
  readonly channelMembers = new Map<string, string[]>();
  /**
   * Channels the bot is NOT in (`uninvite` / `invite`). Default permissive: the bot is in every channel no
   * test names here, so tests and the demo need not declare channels. `private` and `im` answer
   * `channel_not_found` (Slack does not reveal them), `public` answers `not_in_channel` (as Slack does for an
   * app without `chat:write.public`), for chat.postMessage, chat.postEphemeral and file shares.
   */
  readonly uninvited = new Map<string, UninvitedKind>();
  /**
   * Posting rate per channel (chat.postMessage), like Slack's "about one message per second per channel,
   * short bursts allowed": more than `messages` accepted posts within `windowMs` → HTTP 429 `ratelimited`
   * with `Retry-After: retryAfterS`. Undefined (default): no limit.
   */
  channelRate: { messages: number; windowMs: number; retryAfterS: number } | undefined;
  /**
   * While set, every Web API call answers this HTTP status (a 5xx, e.g. 503) with `service_unavailable`
   * and nothing is stored, as during a Slack outage; undefined (default): Slack is up. Kept in `refusals`.
   */
  serverError: number | undefined;
  /**
   * The bot token's scopes that the sandbox checks: reading a conversation's history (conversations.history,
   * conversations.replies) needs `channels:history` (public `C…`), `groups:history` (private `G…`) or
   * `im:history` (`D…`); without it Slack answers `missing_scope`. Default: the manifest's.
   */
  readonly grantedScopes = new Set(['channels:history', 'groups:history', 'im:history']);
  private readonly lostAnswers = new Map<string, number>();
  /** Longest message `text` accepted (Slack: 40,000); longer → `msg_too_long`. Tests may lower it. */
  maxTextChars: number = BLOCK_KIT.messageText;
  /** Every call refused as Slack would refuse it, oldest first. */
  readonly refusals: Refusal[] = [];
  private readonly posted = new Map<string, number[]>();
  /** The workspace's user groups: id (`S…`) → member user ids, answered by usergroups.users.list. */
  readonly userGroups = new Map<string, { users: string[]; disabled: boolean }>();
  /** Handles requests outside /api/, /upload/ and /response/ (the web page in `web.ts`); false → 404. */
  webHandler: ((req: IncomingMessage, res: ServerResponse, url: URL, raw: Buffer) => boolean | Promise<boolean>) | undefined;
  /** Handles HTTP upgrades (the Socket Mode stand-in in `socket-mode.ts` sets it); else refused. */
  upgradeHandler: ((req: IncomingMessage, socket: Duplex, head: Buffer) => void) | undefined;
  /** WebSocket URL answered by apps.connections.open (set by the Socket Mode stand-in). */
  socketUrl: string | undefined;
  /**
   * Emits `message` (SandboxMessage) on every chat.postMessage, `update` (SandboxMessage) on chat.update,
   * `ephemeral` (SandboxEphemeral), `file` (SandboxFile, once completed) and `response` ({ id, body }).
   */
  readonly events = new EventEmitter();
  private readonly limits = new Map<string, { retryAfterS: number; remaining: number }>();
  private seq = 0;
  private server: Server | undefined;
  private base = '';
  readonly teamId: string;
  readonly botId: string;
  readonly botUserId: string;

  constructor(private readonly opts: SandboxOptions) {
    this.teamId = opts.teamId ?? 'T0SANDBOX';
    this.botId = opts.botId ?? 'B0SANDBOX';
    this.botUserId = opts.botUserId ?? 'U0SANDBOXBOT';
  }

  /** `http://127.0.0.1:PORT` */
  get url(): string { return this.base; }
  /** Web API base with trailing slash, for `SLACK_API_URL` / `slackApiUrl`. */
  get apiUrl(): string { return `${this.base}/api/`; }

  async start(): Promise<this> {
    this.server = createServer((req, res) => { void this.handle(req, res); });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.upgradeHandler) this.upgradeHandler(req, socket, head);
      else socket.destroy();
    });
    await new Promise<void>((resolve) => this.server?.listen(this.opts.port ?? 0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
    this.server = undefined;
  }

  /** The next `n` calls of `method` answer 429 with `Retry-After: retryAfterS`. */
  rateLimit(method: string, retryAfterS: number, n = 1): void {
    this.limits.set(method, { retryAfterS, remaining: n });
  }

  /**
   * The next `n` calls of `method` that are carried out (a message is stored; refusals are answered) lose
   * their answer: the connection is dropped before it, as when the network or the caller's process fails.
   */
  loseAnswers(method: string, n = 1): void {
    this.lostAnswers.set(method, n);
  }

  /** From now on the bot is not in `channel`; Slack's answers depend on `kind` (see `uninvited`). */
  uninvite(channel: string, kind: UninvitedKind = 'private'): void {
    this.uninvited.set(channel, kind);
  }

  /** The bot is invited to `channel` (`/invite @bot`): posting works again. */
  invite(channel: string): void {
    this.uninvited.delete(channel);
  }

  /** Creates or replaces a user group of the workspace (`disabled`: listed only with include_disabled). */
  defineUserGroup(id: string, users: readonly string[], opts: { disabled?: boolean } = {}): void {
    this.userGroups.set(id, { users: [...users], disabled: opts.disabled ?? false });
  }

  callsOf(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** A new message ts (`<epoch s>.<sequence>`): every ts the sandbox hands out sorts in the order given. */
  nextTs(): string {
    this.seq += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(this.seq).padStart(6, '0')}`;
  }

  private send(res: ServerResponse, status: number, body: Json, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
    res.end(JSON.stringify(body));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.base);
    const raw = await readRaw(req);
    if (url.pathname.startsWith('/upload/')) {
      const file = this.files.find((f) => f.id === url.pathname.slice('/upload/'.length));
      if (file) file.content = uploadedContent(raw, req.headers['content-type']);
      res.writeHead(file ? 200 : 404, { 'content-type': 'text/plain' });
      res.end(file ? `OK - ${raw.length}` : 'not found');
      return;
    }
    if (url.pathname.startsWith('/response/')) {
      const response = { id: url.pathname.slice('/response/'.length), body: parseBody(raw.toString('utf8'), req.headers['content-type']) };
      this.responses.push(response);
      this.events.emit('response', response);
      this.send(res, 200, { ok: true });
      return;
    }
    if (!url.pathname.startsWith('/api/') && this.webHandler && await this.webHandler(req, res, url, raw)) return;
    if (!url.pathname.startsWith('/api/')) {
      this.send(res, 404, { ok: false, error: 'not_found' });
      return;
    }
    const method = url.pathname.slice('/api/'.length);
    const args = { ...Object.fromEntries(url.searchParams), ...parseBody(raw.toString('utf8'), req.headers['content-type']) };
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : (typeof args.token === 'string' ? args.token : undefined);
    this.calls.push({ method, args, token, at: Date.now() });
    const limit = this.limits.get(method);
    const channelArg = typeof args.channel === 'string' ? args.channel : (typeof args.channel_id === 'string' ? args.channel_id : undefined);
    if (this.serverError !== undefined) {
      this.refusals.push({ method, channel: channelArg, error: `http_${this.serverError}`, at: Date.now() });
      this.send(res, this.serverError, { ok: false, error: 'service_unavailable' });
      return;
    }
    const retryAfterS = limit && limit.remaining > 0 ? limit.retryAfterS : this.channelRateWait(method, channelArg);
    if (retryAfterS !== undefined) {
      if (limit && limit.remaining > 0) limit.remaining -= 1;
      this.refusals.push({ method, channel: channelArg, error: 'ratelimited', at: Date.now() });
      this.send(res, 429, { ok: false, error: 'ratelimited' }, { 'retry-after': String(retryAfterS) });
      return;
    }
    if (method === 'apps.connections.open') {
      const ok = this.opts.appToken !== undefined && token === this.opts.appToken && this.socketUrl !== undefined;
      this.send(res, 200, ok ? { ok: true, url: `${this.socketUrl}?ticket=${randomBytes(6).toString('hex')}` } : { ok: false, error: 'invalid_auth' });
      return;
    }
    if (token !== this.opts.botToken) {
      this.send(res, 200, { ok: false, error: token ? 'invalid_auth' : 'not_authed' });
      return;
    }
    const answer = this.dispatch(method, args);
    if (answer.ok === false) this.refusals.push({ method, channel: channelArg, error: String(answer.error), at: Date.now() });
    else if (method === 'chat.postMessage' && channelArg !== undefined) this.posted.set(channelArg, [...(this.posted.get(channelArg) ?? []), Date.now()]);
    const lost = answer.ok === false ? 0 : this.lostAnswers.get(method) ?? 0;
    if (lost > 0) {
      this.lostAnswers.set(method, lost - 1);
      res.socket?.destroy();
      return;
    }
    this.send(res, 200, answer);
  }

  /**
   * conversations.history (a channel's messages, not its thread replies) and conversations.replies (a
   * thread: its parent, then its replies), as Slack answers them: newest first for history, oldest first
   * for replies; `oldest` / `latest` exclusive; `limit` per page with a cursor; metadata only with
   * `include_all_metadata`. The scope the channel's kind needs must be granted.
   */
  private history(method: string, channel: string | undefined, ts: string | undefined, a: Json): Json {
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const needed = channel.startsWith('D') ? 'im:history' : channel.startsWith('G') ? 'groups:history' : 'channels:history';
    if (!this.grantedScopes.has(needed)) return { ok: false, error: 'missing_scope', needed, provided: [...this.grantedScopes].join(',') };
    if (this.uninvited.has(channel)) return { ok: false, error: this.uninvited.get(channel) === 'public' ? 'not_in_channel' : 'channel_not_found' };
    const num = (k: string, dflt: number): number => (a[k] === undefined || a[k] === '' ? dflt : Number(a[k]));
    const [oldest, latest] = [num('oldest', 0), num('latest', Number.POSITIVE_INFINITY)];
    const replies = method === 'conversations.replies';
    if (replies && !ts) return { ok: false, error: 'invalid_arguments' };
    if (replies && !this.messages.some((m) => m.channel === channel && m.ts === ts)) return { ok: false, error: 'thread_not_found' };
    const chosen = this.messages
      .filter((m) => m.channel === channel && (replies ? m.ts === ts || m.thread_ts === ts : m.thread_ts === undefined || m.thread_ts === m.ts))
      .filter((m) => Number(m.ts) > oldest && Number(m.ts) < latest)
      .sort((x, y) => (replies ? 1 : -1) * (Number(x.ts) - Number(y.ts)));
    const start = num('cursor', 0);
    const limit = Math.max(1, Math.min(1000, num('limit', 100)));
    const page = chosen.slice(start, start + limit);
    const withMetadata = a.include_all_metadata === true || a.include_all_metadata === 'true';
    const more = start + limit < chosen.length;
    return {
      ok: true, has_more: more,
      messages: page.map((m) => ({
        type: 'message', ts: m.ts, text: m.text, user: this.botUserId, bot_id: this.botId, ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
        ...(withMetadata && m.metadata ? { metadata: m.metadata } : {}),
      })),
      response_metadata: { next_cursor: more ? String(start + limit) : '' },
    };
  }

  /** Seconds to wait when `channelRate` refuses this post now, else undefined. */
  private channelRateWait(method: string, channel: string | undefined): number | undefined {
    const rate = this.channelRate;
    if (!rate || method !== 'chat.postMessage' || channel === undefined) return undefined;
    const since = Date.now() - rate.windowMs;
    const recent = (this.posted.get(channel) ?? []).filter((t) => t > since);
    this.posted.set(channel, recent);
    return recent.length >= rate.messages ? rate.retryAfterS : undefined;
  }

  /** Slack's refusal of a message before it is stored: membership, Block Kit limits, text length. */
  private refuseMessage(channel: string, text: string | undefined, blocks: Json[]): Json | undefined {
    const kind = this.uninvited.get(channel);
    if (kind) return { ok: false, error: kind === 'public' ? 'not_in_channel' : 'channel_not_found' };
    if ((text ?? '').length > this.maxTextChars) return { ok: false, error: 'msg_too_long' };
    const errors = blockKitErrors(blocks);
    if (errors.length) return { ok: false, error: 'invalid_blocks', errors, response_metadata: { messages: errors } };
    return undefined;
  }

  private dispatch(method: string, a: Json): Json {
    const str = (k: string): string | undefined => (typeof a[k] === 'string' ? (a[k] as string) : undefined);
    const blocks = Array.isArray(a.blocks) ? (a.blocks as Json[]) : [];
    switch (method) {
      case 'auth.test':
        if (this.failAuthTest) return { ok: false, error: 'invalid_auth' };
        return { ok: true, url: 'https://sandbox.slack.local/', team: 'Sandbox', user: 'autogen-ops', team_id: this.teamId, user_id: this.botUserId, bot_id: this.botId, is_enterprise_install: false };
      case 'chat.postMessage': {
        const channel = str('channel');
        if (!channel) return { ok: false, error: 'channel_not_found' };
        if (!str('text') && blocks.length === 0) return { ok: false, error: 'no_text' };
        const refused = this.refuseMessage(channel, str('text'), blocks);
        if (refused) return refused;
        const ts = this.nextTs();
        const metadata = typeof a.metadata === 'object' && a.metadata !== null ? (a.metadata as Json) : undefined;
        const msg: SandboxMessage = { channel, ts, text: str('text') ?? '', blocks, thread_ts: str('thread_ts'), edits: [], ...(metadata ? { metadata } : {}) };
        this.messages.push(msg);
        this.events.emit('message', msg);
        return { ok: true, channel, ts, message: { type: 'message', text: msg.text, blocks, ts, user: this.botUserId, bot_id: this.botId, ...(msg.thread_ts ? { thread_ts: msg.thread_ts } : {}) } };
      }
      case 'chat.update': {
        const msg = this.messages.find((m) => m.channel === str('channel') && m.ts === str('ts'));
        if (!msg) return { ok: false, error: 'message_not_found' };
        const refused = this.refuseMessage(msg.channel, str('text'), blocks);
        if (refused) return refused;
        msg.text = str('text') ?? msg.text;
        msg.blocks = blocks.length ? blocks : msg.blocks;
        msg.edits.push({ text: msg.text, blocks: msg.blocks });
        this.events.emit('update', msg);
        return { ok: true, channel: msg.channel, ts: msg.ts, text: msg.text, message: { text: msg.text, blocks: msg.blocks } };
      }
      case 'chat.postEphemeral': {
        const channel = str('channel');
        const user = str('user');
        if (!channel || !user) return { ok: false, error: channel ? 'user_not_in_channel' : 'channel_not_found' };
        const refused = this.refuseMessage(channel, str('text'), blocks);
        if (refused) return refused;
        const ephemeral: SandboxEphemeral = { channel, user, text: str('text') ?? '', blocks, ts: this.nextTs(), thread_ts: str('thread_ts') };
        this.ephemerals.push(ephemeral);
        this.events.emit('ephemeral', ephemeral);
        return { ok: true, message_ts: ephemeral.ts };
      }
      case 'files.getUploadURLExternal': {
        const id = `F${randomBytes(5).toString('hex').toUpperCase()}`;
        this.files.push({ id, filename: str('filename') ?? 'file', title: undefined, content: '', channel: undefined, thread_ts: undefined });
        return { ok: true, upload_url: `${this.base}/upload/${id}`, file_id: id };
      }
      case 'files.completeUploadExternal': {
        const list = (Array.isArray(a.files) ? a.files : []) as { id?: string; title?: string }[];
        const shareTo = str('channel_id');
        const kind = shareTo === undefined ? undefined : this.uninvited.get(shareTo);
        if (kind) return { ok: false, error: kind === 'public' ? 'not_in_channel' : 'channel_not_found' };
        for (const f of list) {
          const file = this.files.find((x) => x.id === f.id);
          if (!file) return { ok: false, error: 'file_not_found' };
          file.title = f.title;
          file.channel = str('channel_id');
          file.thread_ts = str('thread_ts');
          this.events.emit('file', file);
        }
        return { ok: true, files: list.map((f) => ({ id: f.id, title: f.title })) };
      }
      case 'usergroups.users.list': {
        // Slack: `usergroup` is required; an unknown id answers no_such_subteam; a disabled group only
        // with include_disabled. Arguments arrive as form fields or JSON, so booleans may be strings.
        const id = str('usergroup');
        if (!id) return { ok: false, error: 'invalid_arguments', response_metadata: { messages: ['[ERROR] missing required field: usergroup'] } };
        const group = this.userGroups.get(id);
        const includeDisabled = a.include_disabled === true || a.include_disabled === 'true' || a.include_disabled === '1';
        if (!group || (group.disabled && !includeDisabled)) return { ok: false, error: 'no_such_subteam' };
        return { ok: true, users: [...group.users] };
      }
      case 'conversations.members': {
        const channel = str('channel');
        const members = channel === undefined ? undefined : this.channelMembers.get(channel);
        if (!members) return { ok: false, error: 'channel_not_found' };
        const limit = Math.min(Math.max(Number(a.limit ?? 100) || 100, 1), 1000);
        const start = Number(str('cursor') ?? '0') || 0;
        const next = start + limit < members.length ? String(start + limit) : '';
        return { ok: true, members: members.slice(start, start + limit), response_metadata: { next_cursor: next } };
      }
      case 'conversations.info': {
        // Slack: a public channel the bot is not in is visible (`is_member: false`); a private channel or a
        // DM between others it is not part of is not (`channel_not_found`).
        const channel = str('channel');
        if (!channel) return { ok: false, error: 'channel_not_found' };
        const kind = this.uninvited.get(channel);
        if (kind === 'private' || kind === 'im') return { ok: false, error: 'channel_not_found' };
        const im = channel.startsWith('D');
        const group = channel.startsWith('G');
        return {
          ok: true,
          channel: { id: channel, is_channel: !im && !group, is_group: group, is_im: im, is_private: im || group, is_archived: false, ...(im ? { user: 'U0SANDBOXUSER' } : { name: channel.toLowerCase(), is_member: kind === undefined }) },
        };
      }
      case 'conversations.history':
      case 'conversations.replies':
        return this.history(method, str('channel'), str('ts'), a);
      case 'views.publish':
        return { ok: true, view: { id: `V${this.nextTs().replace('.', '')}`, ...(typeof a.view === 'object' ? (a.view as Json) : {}) } };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  // --- sending signed requests to the bot -------------------------------------------------------------

  private async post(target: string, rawBody: string, secret: string, timestampS: number, extra: Record<string, string>): Promise<SendResult> {
    const res = await request(target, { method: 'POST', body: rawBody, headers: signedHeaders(secret, rawBody, timestampS, extra) });
    const text = await res.body.text();
    let json: Json | undefined;
    try { json = text ? (JSON.parse(text) as Json) : undefined; } catch { json = undefined; }
    const out = { status: res.statusCode, text, json };
    this.acks.push(out);
    return out;
  }

  /** The form body Slack sends for a slash command (fresh trigger_id). */
  commandBody(input: Pick<CommandInput, 'text' | 'command' | 'user' | 'channel' | 'userName' | 'channelName'>): string {
    const id = randomBytes(6).toString('hex');
    this.responseTargets.set(id, { channel: input.channel ?? 'C0SANDBOX', user: input.user ?? 'U0SANDBOXUSER', message_ts: undefined });
    return new URLSearchParams({
      token: 'sandbox-verification-token',
      team_id: this.teamId,
      team_domain: 'sandbox',
      channel_id: input.channel ?? 'C0SANDBOX',
      channel_name: input.channelName ?? 'ops',
      user_id: input.user ?? 'U0SANDBOXUSER',
      user_name: input.userName ?? 'operator',
      command: input.command ?? '/autogen',
      text: input.text,
      api_app_id: 'A0SANDBOX',
      is_enterprise_install: 'false',
      response_url: `${this.base}/response/${id}`,
      trigger_id: `${Date.now()}.${this.seq}.${id}`,
    }).toString();
  }

  /** Sends a signed slash command to `botEventsUrl` (e.g. http://127.0.0.1:3000/slack/events). */
  async sendCommand(botEventsUrl: string, input: CommandInput): Promise<SendResult & { body: string }> {
    const body = input.rawBody ?? this.commandBody(input);
    const extra: Record<string, string> = input.retryNum === undefined ? {} : { 'x-slack-retry-num': String(input.retryNum), 'x-slack-retry-reason': 'http_timeout' };
    const res = await this.post(botEventsUrl, body, input.secret ?? this.opts.signingSecret, input.timestampS ?? Math.floor(Date.now() / 1000), extra);
    return { ...res, body };
  }

  /** Clicks a button of a posted message (found by action_id) as `user`, signed. */
  async clickButton(botEventsUrl: string, message: SandboxMessage, actionId: string, user = 'U0SANDBOXUSER'): Promise<SendResult> {
    let button: Json | undefined;
    let blockId: string | undefined;
    for (const b of message.blocks) {
      if (b.type !== 'actions') continue;
      const found = ((b.elements as Json[] | undefined) ?? []).find((e) => e.action_id === actionId);
      if (found) { button = found; blockId = b.block_id as string | undefined; break; }
    }
    if (!button) throw new Error(`no button ${actionId} in message ${message.ts}`);
    return this.sendBlockAction(botEventsUrl, { user, channel: message.channel, messageTs: message.ts, message, element: button, blockId });
  }

  /**
   * Sends the signed `block_actions` payload Slack sends when `user` uses `element` (a button, or a menu
   * with `selectedOption`) of a message — or of an ephemeral (no `message`: Slack does not include one).
   */
  async sendBlockAction(botEventsUrl: string, input: BlockActionInput): Promise<SendResult> {
    const id = randomBytes(6).toString('hex');
    const ephemeral = input.message === undefined;
    this.responseTargets.set(id, { channel: input.channel, user: input.user, message_ts: input.messageTs, ephemeral });
    const el = input.element;
    const action: Json = { type: el.type ?? 'button', action_id: el.action_id, block_id: input.blockId, action_ts: `${Date.now() / 1000}` };
    if (el.type === 'button' || el.type === undefined) Object.assign(action, { text: el.text, value: el.value, ...(el.style ? { style: el.style } : {}) });
    else if (input.selectedOption) action.selected_option = input.selectedOption;
    const payload: Json = {
      type: 'block_actions',
      user: { id: input.user, username: input.userName ?? 'operator', name: input.userName ?? 'operator', team_id: this.teamId },
      api_app_id: 'A0SANDBOX',
      token: 'sandbox-verification-token',
      container: { type: 'message', message_ts: input.messageTs, channel_id: input.channel, is_ephemeral: ephemeral },
      trigger_id: `${Date.now()}.${this.seq}.${id}`,
      team: { id: this.teamId, domain: 'sandbox' },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: input.channel, name: input.channelName ?? 'ops' },
      ...(input.message ? { message: { type: 'message', ts: input.messageTs, text: input.message.text, blocks: input.message.blocks, user: this.botUserId, bot_id: this.botId, ...(input.message.thread_ts ? { thread_ts: input.message.thread_ts } : {}) } } : {}),
      response_url: `${this.base}/response/${id}`,
      actions: [action],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    return this.post(botEventsUrl, body, this.opts.signingSecret, Math.floor(Date.now() / 1000), {});
  }

  /** Sends an unsigned `ssl_check=1` probe as Slack does. */
  async sslCheck(botEventsUrl: string): Promise<SendResult> {
    const res = await request(botEventsUrl, { method: 'POST', body: 'ssl_check=1&token=sandbox-verification-token', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const text = await res.body.text();
    return { status: res.statusCode, text, json: undefined };
  }
}

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  return new Sandbox(opts).start();
}
