/**
 * Socket Mode stand-in on the sandbox's HTTP server: apps.connections.open hands out a ws:// URL served
 * here; connected clients get `hello`, then envelopes (slash commands, interactions) whose acks come back
 * as `{ envelope_id, payload }`. `disconnect()` asks clients to reconnect, as Slack does on refresh.
 */
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Sandbox } from './server.js';

export interface SocketAck {
  envelope_id: string;
  payload?: Record<string, unknown>;
}

export class SocketModeStandIn {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly sockets = new Set<WebSocket>();
  private readonly pending = new Map<string, (ack: SocketAck) => void>();
  connections = 0;

  constructor(private readonly sandbox: Sandbox) {
    sandbox.socketUrl = `${sandbox.url.replace(/^http/, 'ws')}/socket`;
    sandbox.upgradeHandler = (req, socket, head) => {
      if (!(req.url ?? '').startsWith('/socket')) { socket.destroy(); return; }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onConnection(ws));
    };
  }

  private onConnection(ws: WebSocket): void {
    this.connections += 1;
    this.sockets.add(ws);
    ws.on('close', () => this.sockets.delete(ws));
    ws.on('message', (data) => {
      try {
        const ack = JSON.parse(String(data)) as SocketAck;
        this.pending.get(ack.envelope_id)?.(ack);
        this.pending.delete(ack.envelope_id);
      } catch { /* not an ack */ }
    });
    ws.send(JSON.stringify({ type: 'hello', num_connections: this.sockets.size, debug_info: { host: 'sandbox', approximate_connection_time: 3600 }, connection_info: { app_id: 'A0SANDBOX' } }));
  }

  /** Number of live client connections. */
  get open(): number {
    return this.sockets.size;
  }

  /** Delivers a slash command to one connected client and resolves with its ack. */
  async sendCommand(text: string, opts: { channel?: string; user?: string; retryAttempt?: number } = {}): Promise<SocketAck> {
    const ws = [...this.sockets][0];
    if (!ws) throw new Error('no Socket Mode client connected');
    const envelopeId = randomBytes(8).toString('hex');
    const payload = Object.fromEntries(new URLSearchParams(this.sandbox.commandBody({ text, ...(opts.channel ? { channel: opts.channel } : {}), ...(opts.user ? { user: opts.user } : {}) })));
    const acked = new Promise<SocketAck>((resolve) => this.pending.set(envelopeId, resolve));
    ws.send(JSON.stringify({ envelope_id: envelopeId, type: 'slash_commands', payload, accepts_response_payload: true, ...(opts.retryAttempt ? { retry_attempt: opts.retryAttempt, retry_reason: 'timeout' } : {}) }));
    return acked;
  }

  /** Asks every client to reconnect (`disconnect` / refresh_requested) and closes their sockets. */
  disconnect(): void {
    for (const ws of this.sockets) {
      ws.send(JSON.stringify({ type: 'disconnect', reason: 'refresh_requested', debug_info: { host: 'sandbox' } }));
      ws.close(1000);
    }
  }

  async close(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }
}
