/**
 * The bridge calls response automation needs beyond the spine's `BridgeClient` (which covers reads and
 * `act`): recent deliveries per agent (`GET /v1/messages`), the active temporary actions
 * (`GET /v1/actions`), and Keep / revert of one action (`POST /v1/actions/{id}/keep|revert`).
 * Same conventions as the client: bearer token, bounded time, errors from the catalogue.
 */
import { request } from 'undici';
import { z } from 'zod';
import type { RuntimeTarget } from '../config.js';
import { OpsError } from '../errors.js';
import type { MessageView } from './runtime-view.js';

const MessageList = z.looseObject({
  messages: z.array(z.looseObject({
    message_id: z.string(), recipient: z.string().nullish(), started_at: z.string().nullish(), outcome: z.string(), parent_id: z.string().nullish(),
  })),
});
const ActiveActions = z.looseObject({
  actions: z.array(z.looseObject({ action_id: z.string(), action: z.string().nullish(), target: z.string().nullish(), expires_at: z.string().nullish() })),
});

export interface ActiveAction {
  readonly action_id: string;
  readonly action?: string | null;
  readonly target?: string | null;
  readonly expires_at?: string | null;
}

export class BridgeControl {
  constructor(private readonly target: RuntimeTarget, private readonly timeoutMs: number) {}

  private async call(method: 'GET' | 'POST', path: string): Promise<{ status: number; json: unknown; code: string | null }> {
    let status: number;
    let text: string;
    try {
      const res = await request(`${this.target.url}${path}`, {
        method,
        headers: { accept: 'application/json', authorization: `Bearer ${this.target.token}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
        ...(method === 'POST' ? { body: '{}' } : {}),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      throw new OpsError('RUNTIME_UNREACHABLE', { runtime: this.target.name, path }, { cause: err, detail: `Runtime "${this.target.name}": ${(err as Error).message}.` });
    }
    if (status >= 500) throw new OpsError('RUNTIME_UNREACHABLE', { runtime: this.target.name, path, reason: `HTTP ${status}` });
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      throw new OpsError('RUNTIME_BAD_RESPONSE', { runtime: this.target.name, path, status, reason: 'not JSON' });
    }
    const code = status >= 400 ? ((json as { error?: { code?: string } } | undefined)?.error?.code ?? `HTTP_${status}`) : null;
    if (status === 401 || status === 403) throw new OpsError('RUNTIME_AUTH_FAILED', { runtime: this.target.name, path, bridge_code: code });
    return { status, json, code };
  }

  /** Recent deliveries to `agentType` (newest last), at most `limit`. */
  async messages(agentType: string, limit = 200): Promise<MessageView[]> {
    const path = `/v1/messages?agent=${encodeURIComponent(agentType)}&limit=${limit}`;
    const res = await this.call('GET', path);
    if (res.code) throw new OpsError('RUNTIME_REQUEST_REJECTED', { runtime: this.target.name, path, bridge_code: res.code });
    const parsed = MessageList.safeParse(res.json);
    if (!parsed.success) throw new OpsError('RUNTIME_BAD_RESPONSE', { runtime: this.target.name, path });
    return parsed.data.messages
      .filter((m) => (m.recipient ?? '').split('/')[0] === agentType)
      .map((m) => ({ message_id: m.message_id, recipient: m.recipient ?? null, started_at: m.started_at ?? null, outcome: m.outcome, parent_id: m.parent_id ?? null }));
  }

  /** The temporary actions in force (each with its `expires_at`). */
  async activeActions(): Promise<ActiveAction[]> {
    const res = await this.call('GET', '/v1/actions');
    if (res.code) throw new OpsError('RUNTIME_REQUEST_REJECTED', { runtime: this.target.name, path: '/v1/actions', bridge_code: res.code });
    const parsed = ActiveActions.safeParse(res.json);
    if (!parsed.success) throw new OpsError('RUNTIME_BAD_RESPONSE', { runtime: this.target.name, path: '/v1/actions' });
    return parsed.data.actions;
  }

  /** Keeps (cancels the TTL of) or reverts now one action; `gone` when the bridge no longer has it. */
  async settle(actionId: string, how: 'keep' | 'revert'): Promise<'done' | 'gone'> {
    const path = `/v1/actions/${encodeURIComponent(actionId)}/${how}`;
    const res = await this.call('POST', path);
    if (res.code === 'ACTION_NOT_FOUND' || res.code === 'NOT_FOUND') return 'gone';
    if (res.code) throw new OpsError('RUNTIME_REQUEST_REJECTED', { runtime: this.target.name, path, bridge_code: res.code });
    return 'done';
  }
}
