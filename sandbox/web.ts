/**
 * The sandbox's face: a small web page on the sandbox's own loopback server (`/`), for `make demo` and the
 * browser test. It shows the channels and what the bot posted (threads, edits, ephemerals, files), live over
 * server-sent events (`/ui/events`), and acts as Slack does for a person: a slash command typed in the
 * composer is sent to the bot as a signed command from the chosen user, a button click as a signed
 * `block_actions` interaction (`Sandbox.sendCommand` / `sendBlockAction`, signed by `signing.ts`). An
 * optional demo control panel injects and clears faults in the demo fleet (the bridge token stays here).
 *
 * The page itself is static (sandbox/web/: index.html, app.js, mrkdwn.js, app.css; no build step) and
 * renders everything as text nodes. JSON endpoints accept only `Content-Type: application/json` from the
 * page's own origin, so another site open in the same browser cannot drive them.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Sandbox, SandboxEphemeral, SandboxFile, SandboxMessage, SendResult } from './server.js';

type Json = Record<string, unknown>;

export interface WebUser {
  id: string;
  /** Display name (mentions `<@id>` show as `@name`). */
  name: string;
  /** What this user is for in the demo, e.g. "approver (member of @autogen-sre)". */
  title?: string;
}

export interface WebChannel {
  id: string;
  /** Without `#`. */
  name: string;
  topic?: string;
}

/** The demo fleet's fault injection, as the page's control panel needs it (see src/local/faults.ts). */
export interface WebFaultControl {
  state(): Promise<{ active: { fault: string; agent_type: string; since: string }[]; known: string[]; targets: string[] }>;
  inject(fault: string, target: string, params?: Record<string, unknown>): Promise<unknown>;
  clear(fault?: string): Promise<unknown>;
}

export interface SandboxWebOptions {
  /** Where commands and interactions go: the bot's `http://127.0.0.1:PORT/slack/events`. */
  botEventsUrl: string;
  users: readonly WebUser[];
  channels: readonly WebChannel[];
  /** Slack user groups by id (`<!subteam^id>` shows as `@handle`). */
  groups?: readonly { id: string; handle: string }[];
  /** The app's slash command (default `/autogen`). */
  command?: string;
  faults?: WebFaultControl;
  /** Short steps shown on the page ("Try this"). */
  script?: readonly string[];
  /** Called with a short reason when a page request fails (the demo logs it). */
  onError?: (what: string, err: unknown) => void;
}

/** An ephemeral as the page shows it: posted by the bot, an ack, a response_url answer, or the user's own command. */
export interface WebEphemeral {
  id: string;
  ts: string;
  channel: string;
  user: string;
  thread_ts: string | undefined;
  text: string;
  blocks: Json[];
  kind: 'ephemeral' | 'ack' | 'response' | 'command' | 'slack_error';
  /** `response_type: in_channel` answers are shown to everyone. */
  public: boolean;
}

const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/mrkdwn.js': { file: 'mrkdwn.js', type: 'text/javascript; charset=utf-8' },
  '/ui/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
};
const WEB_DIR = join(dirname(fileURLToPath(import.meta.url)), 'web');
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};
const MAX_BODY_BYTES = 64 * 1024;
const MAX_COMMAND_CHARS = 4_000;

/** A request the page got wrong: answered with this status and reason. */
class PageError extends Error {
  constructor(readonly status: number, message: string) { super(message); }
}

function messageView(m: SandboxMessage): Json {
  return { channel: m.channel, ts: m.ts, thread_ts: m.thread_ts, text: m.text, blocks: m.blocks, edited: m.edits.length > 0 };
}

function fileView(f: SandboxFile & { ts?: string }): Json {
  return { id: f.id, filename: f.filename, title: f.title, channel: f.channel, thread_ts: f.thread_ts, size: Buffer.byteLength(f.content, 'utf8'), ts: f.ts };
}

/** Pure: the interactive element `actionId` of `blocks` (in an actions block or a section accessory), with its block id. */
export function findElement(blocks: readonly Json[], actionId: string, blockId?: string): { element: Json; blockId: string | undefined } | undefined {
  for (const b of blocks) {
    const id = typeof b.block_id === 'string' ? b.block_id : undefined;
    if (blockId !== undefined && id !== blockId) continue;
    const candidates = b.type === 'actions' ? ((b.elements as Json[] | undefined) ?? []) : b.accessory ? [b.accessory as Json] : [];
    const element = candidates.find((e) => e.action_id === actionId);
    if (element) return { element, blockId: id };
  }
  return undefined;
}

/** Pure: a file name safe for a Content-Disposition header. */
export function safeFilename(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '').slice(0, 120);
  return cleaned === '' ? 'file' : cleaned;
}

export class SandboxWeb {
  readonly ephemerals: WebEphemeral[] = [];
  private readonly clients = new Set<ServerResponse>();
  private readonly fileTs = new Map<string, string>();
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly command: string;

  constructor(private readonly sandbox: Sandbox, private readonly opts: SandboxWebOptions) {
    this.command = opts.command ?? '/autogen';
  }

  /** The page's address. */
  get url(): string { return `${this.sandbox.url}/`; }

  attach(): this {
    this.sandbox.webHandler = (req, res, url, raw) => this.handle(req, res, url, raw);
    const ev = this.sandbox.events;
    ev.on('message', (m: SandboxMessage) => this.broadcast('posted', messageView(m)));
    ev.on('update', (m: SandboxMessage) => this.broadcast('posted', messageView(m)));
    ev.on('ephemeral', (e: SandboxEphemeral) => this.addEphemeral({ ...e, id: e.ts, kind: 'ephemeral', public: false }));
    ev.on('file', (f: SandboxFile) => {
      if (!this.fileTs.has(f.id)) this.fileTs.set(f.id, this.sandbox.nextTs());
      this.broadcast('file', fileView({ ...f, ts: this.fileTs.get(f.id) }));
    });
    ev.on('response', (r: { id: string; body: Json }) => this.onResponse(r.id, r.body));
    this.heartbeat = setInterval(() => { for (const c of this.clients) c.write(': keep-alive\n\n'); }, 15_000);
    this.heartbeat.unref();
    return this;
  }

  close(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const c of this.clients) c.end();
    this.clients.clear();
  }

  // --- state and live updates -------------------------------------------------------------------------

  private state(): Json {
    const s = this.sandbox;
    return {
      bot: { id: s.botUserId, name: 'autogen-ops' },
      command: this.command,
      channels: this.channels(),
      users: this.opts.users,
      groups: this.opts.groups ?? [],
      messages: s.messages.map(messageView),
      ephemerals: this.ephemerals,
      files: s.files.filter((f) => f.channel !== undefined).map((f) => fileView({ ...f, ts: this.fileTs.get(f.id) })),
      panel: this.opts.faults !== undefined,
      script: this.opts.script ?? [],
    };
  }

  /** The configured channels, then any other channel the bot posted to (shown by id). */
  private channels(): WebChannel[] {
    const out = [...this.opts.channels];
    for (const m of this.sandbox.messages) if (!out.some((c) => c.id === m.channel)) out.push({ id: m.channel, name: m.channel });
    return out;
  }

  private broadcast(event: string, data: unknown): void {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const c of this.clients) c.write(frame);
  }

  private addEphemeral(e: WebEphemeral): void {
    this.ephemerals.push(e);
    this.broadcast('ephemeral', e);
  }

  private ephemeral(channel: string, user: string, kind: WebEphemeral['kind'], text: string, blocks: Json[] = [], threadTs?: string, isPublic = false): void {
    const ts = this.sandbox.nextTs();
    this.addEphemeral({ id: ts, ts, channel, user, thread_ts: threadTs, text, blocks, kind, public: isPublic });
  }

  /** A response_url answer: a new ephemeral (or public message), or a replacement / deletion of its origin. */
  private onResponse(id: string, body: Json): void {
    const target = this.sandbox.responseTargets.get(id);
    if (!target) return;
    const text = typeof body.text === 'string' ? body.text : '';
    const blocks = Array.isArray(body.blocks) ? (body.blocks as Json[]) : [];
    const truthy = (v: unknown): boolean => v === true || v === 'true';
    if ((truthy(body.replace_original) || truthy(body.delete_original)) && target.message_ts !== undefined) {
      if (target.ephemeral) {
        const i = this.ephemerals.findIndex((e) => e.ts === target.message_ts && e.user === target.user);
        if (i >= 0) {
          const e = this.ephemerals[i]!;
          if (truthy(body.delete_original)) this.ephemerals.splice(i, 1);
          else { e.text = text; e.blocks = blocks; }
          this.broadcast('ephemeral_changed', { id: e.id, deleted: truthy(body.delete_original), text: e.text, blocks: e.blocks });
          return;
        }
      } else {
        const msg = this.sandbox.messages.find((m) => m.channel === target.channel && m.ts === target.message_ts);
        if (msg && truthy(body.replace_original)) {
          msg.text = text || msg.text;
          msg.blocks = blocks.length ? blocks : msg.blocks;
          msg.edits.push({ text: msg.text, blocks: msg.blocks });
          this.sandbox.events.emit('update', msg);
          return;
        }
      }
    }
    const msg = target.message_ts ? this.sandbox.messages.find((m) => m.channel === target.channel && m.ts === target.message_ts) : undefined;
    this.ephemeral(target.channel, target.user, 'response', text, blocks, msg?.thread_ts, body.response_type === 'in_channel');
  }

  // --- HTTP ------------------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse, url: URL, raw: Buffer): Promise<boolean> {
    const path = url.pathname;
    const method = req.method ?? 'GET';
    const page = STATIC[path];
    if (page && method === 'GET') {
      const body = await readFile(join(WEB_DIR, page.file));
      res.writeHead(200, { 'content-type': page.type, ...SECURITY_HEADERS });
      res.end(body);
      return true;
    }
    if (path === '/favicon.ico') {
      res.writeHead(204, SECURITY_HEADERS);
      res.end();
      return true;
    }
    if (!path.startsWith('/ui/')) return false;
    try {
      if (path === '/ui/state' && method === 'GET') return this.json(res, 200, this.state());
      if (path === '/ui/events' && method === 'GET') return this.events(req, res);
      if (path.startsWith('/ui/files/') && method === 'GET') return this.download(res, decodeURIComponent(path.slice('/ui/files/'.length)));
      if (path === '/ui/faults' && method === 'GET') return this.json(res, 200, await this.faultState());
      if (method === 'POST' || method === 'DELETE') {
        const body = this.bodyOf(req, raw, method);
        if (path === '/ui/command' && method === 'POST') return this.json(res, 200, await this.sendCommand(body));
        if (path === '/ui/action' && method === 'POST') return this.json(res, 200, await this.sendAction(body));
        if (path === '/ui/faults' && method === 'POST') return this.json(res, 200, await this.injectFault(body));
        if (path === '/ui/faults' && method === 'DELETE') return this.json(res, 200, await this.clearFaults());
      }
      throw new PageError(404, `no ${method} ${path}`);
    } catch (err) {
      if (err instanceof PageError) return this.json(res, err.status, { ok: false, error: err.message });
      const status = typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 502;
      const reason = err instanceof Error ? err.message : String(err);
      this.opts.onError?.(`${method} ${path}`, err);
      return this.json(res, status >= 400 && status < 600 ? status : 502, { ok: false, error: reason });
    }
  }

  private json(res: ServerResponse, status: number, body: unknown): true {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...SECURITY_HEADERS });
    res.end(JSON.stringify(body));
    return true;
  }

  /** The JSON body of a state-changing request from the page itself (same origin, JSON only, bounded). */
  private bodyOf(req: IncomingMessage, raw: Buffer, method: string): Json {
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== this.sandbox.url) throw new PageError(403, `requests from ${origin} are not accepted; use the page at ${this.url}`);
    if (raw.length > MAX_BODY_BYTES) throw new PageError(413, `request body larger than ${MAX_BODY_BYTES} bytes`);
    if (method === 'DELETE' && raw.length === 0) return {};
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) throw new PageError(415, 'send Content-Type: application/json');
    try {
      const v = JSON.parse(raw.toString('utf8')) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error('not an object');
      return v as Json;
    } catch {
      throw new PageError(400, 'the body must be a JSON object');
    }
  }

  private events(req: IncomingMessage, res: ServerResponse): true {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive', ...SECURITY_HEADERS });
    res.write('retry: 1000\n\n');
    this.clients.add(res);
    req.on('close', () => this.clients.delete(res));
    return true;
  }

  private download(res: ServerResponse, id: string): true {
    const file = this.sandbox.files.find((f) => f.id === id && f.channel !== undefined);
    if (!file) throw new PageError(404, `no file ${id}`);
    const name = safeFilename(file.filename);
    const type = name.endsWith('.json') ? 'application/json' : 'text/plain';
    res.writeHead(200, { 'content-type': `${type}; charset=utf-8`, 'content-disposition': `attachment; filename="${name}"`, ...SECURITY_HEADERS });
    res.end(file.content);
    return true;
  }

  private user(id: unknown): WebUser {
    const u = this.opts.users.find((x) => x.id === id);
    if (!u) throw new PageError(400, `unknown user ${JSON.stringify(id)}; choose one of ${this.opts.users.map((x) => x.name).join(', ')}`);
    return u;
  }

  private channel(id: unknown): WebChannel {
    const c = this.channels().find((x) => x.id === id);
    if (!c) throw new PageError(400, `unknown channel ${JSON.stringify(id)}`);
    return c;
  }

  /** `/autogen health` typed in the composer → the signed slash command Slack would send, and its ack shown. */
  private async sendCommand(body: Json): Promise<Json> {
    const user = this.user(body.user);
    const channel = this.channel(body.channel);
    const typed = typeof body.text === 'string' ? body.text.trim() : '';
    if (typed === '') throw new PageError(400, `type a command, e.g. ${this.command} help`);
    if (typed.length > MAX_COMMAND_CHARS) throw new PageError(400, `a command is at most ${MAX_COMMAND_CHARS} characters`);
    const m = /^(\/\S+)(?:\s+([\s\S]*))?$/.exec(typed);
    if (!m) throw new PageError(400, `the sandbox sends slash commands only: start with ${this.command}, e.g. ${this.command} help`);
    if (m[1] !== this.command) throw new PageError(400, `${m[1]} is not a command of this app; it has ${this.command}`);
    const text = (m[2] ?? '').trim();
    this.ephemeral(channel.id, user.id, 'command', `${this.command} ${text}`.trim());
    const ack = await this.sandbox.sendCommand(this.opts.botEventsUrl, { text, command: this.command, user: user.id, userName: user.name, channel: channel.id, channelName: channel.name });
    this.showAck(ack, channel.id, user.id, undefined, this.command);
    return { ok: ack.status === 200, status: ack.status };
  }

  /** The ack of a command or interaction as Slack shows it: its ephemeral answer, or Slack's own error line. */
  private showAck(ack: SendResult, channel: string, user: string, threadTs: string | undefined, what: string): void {
    if (ack.status !== 200) {
      this.ephemeral(channel, user, 'slack_error', `${what} failed: the app answered HTTP ${ack.status}${ack.text ? ` (${ack.text.slice(0, 200)})` : ''}. Slack would show the user an error here.`, [], threadTs);
      return;
    }
    const j = ack.json;
    if (!j) return;
    const text = typeof j.text === 'string' ? j.text : '';
    const blocks = Array.isArray(j.blocks) ? (j.blocks as Json[]) : [];
    if (text === '' && blocks.length === 0) return;
    this.ephemeral(channel, user, 'ack', text, blocks, threadTs, j.response_type === 'in_channel');
  }

  /** A click on a button (or a choice in a menu) of a message or an ephemeral → a signed block_actions. */
  private async sendAction(body: Json): Promise<Json> {
    const user = this.user(body.user);
    const actionId = typeof body.action_id === 'string' ? body.action_id : '';
    const blockId = typeof body.block_id === 'string' ? body.block_id : undefined;
    let channel: string;
    let messageTs: string;
    let blocks: Json[];
    let message: SandboxMessage | undefined;
    if (typeof body.ephemeral_id === 'string') {
      const e = this.ephemerals.find((x) => x.id === body.ephemeral_id && (x.user === user.id || x.public));
      if (!e) throw new PageError(404, 'that ephemeral message is gone (ephemerals belong to the user they were shown to)');
      ({ channel, ts: messageTs, blocks } = e);
    } else {
      message = this.sandbox.messages.find((m) => m.channel === body.channel && m.ts === body.ts);
      if (!message) throw new PageError(404, `no message ${String(body.ts)} in ${String(body.channel)}`);
      ({ channel, ts: messageTs, blocks } = message);
    }
    const found = findElement(blocks, actionId, blockId);
    if (!found) throw new PageError(409, `the message no longer has the control ${JSON.stringify(actionId)} (it was updated); look at its current version`);
    let selectedOption: Json | undefined;
    if (found.element.type !== 'button') {
      const options = ((found.element.options as Json[] | undefined) ?? []);
      selectedOption = options.find((o) => o.value === body.value);
      if (!selectedOption) throw new PageError(400, `no option ${JSON.stringify(body.value)} in ${actionId}`);
    }
    const channelName = this.channels().find((c) => c.id === channel)?.name;
    const ack = await this.sandbox.sendBlockAction(this.opts.botEventsUrl, {
      user: user.id, userName: user.name, channel, ...(channelName ? { channelName } : {}), messageTs, ...(message ? { message } : {}),
      element: found.element, blockId: found.blockId, ...(selectedOption ? { selectedOption } : {}),
    });
    this.showAck(ack, channel, user.id, message?.thread_ts, 'The button');
    return { ok: ack.status === 200, status: ack.status };
  }

  // --- the demo control panel ----------------------------------------------------------------------------

  private faultControl(): WebFaultControl {
    if (!this.opts.faults) throw new PageError(404, 'no demo fleet with fault injection is attached to this sandbox');
    return this.opts.faults;
  }

  private async faultState(): Promise<Json> {
    if (!this.opts.faults) return { available: false };
    return { available: true, ...(await this.opts.faults.state()) };
  }

  private async injectFault(body: Json): Promise<Json> {
    const f = this.faultControl();
    const fault = typeof body.fault === 'string' ? body.fault : '';
    const target = typeof body.target === 'string' ? body.target : '';
    if (fault === '' || target === '') throw new PageError(400, 'choose a fault and a target agent');
    await f.inject(fault, target, {});
    const state = await this.faultState();
    this.broadcast('faults', state);
    return state;
  }

  private async clearFaults(): Promise<Json> {
    await this.faultControl().clear();
    const state = await this.faultState();
    this.broadcast('faults', state);
    return state;
  }
}

/** Serves the page on `sandbox`'s own server (same address as its Web API). */
export function attachWeb(sandbox: Sandbox, opts: SandboxWebOptions): SandboxWeb {
  return new SandboxWeb(sandbox, opts).attach();
}
