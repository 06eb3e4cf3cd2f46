/**
 * The bot masks secrets in whatever a bridge answers, even a bridge that did not (an older version, a gap):
 * a local HTTP server plays such a bridge, answering with an application's secrets in clear.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BridgeClient } from '../../src/runtime/client.js';
import { OpsError } from '../../src/errors.js';
import { MASK } from '../../src/text/redact-secrets.js';

const DB_URL = 'postgresql://orders:pw-Secr3t-7391@db.internal:5432/orders';
const MASKED_DB_URL = `postgresql://orders:${MASK}@db.internal:5432/orders`;
const SEARCH = 'https://search.example.com/v1?apikey=q-key-5512&q=x';
const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJvcmRlcnMifQ.c2lnbmF0dXJlLTc3';

function answer(req: IncomingMessage, res: ServerResponse): void {
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.url?.startsWith('/v1/logs')) {
    json(200, {
      truncated: false,
      records: [
        { ts: '2026-01-10T12:00:00Z', level: 'ERROR', logger: 'autogen_core.events', event: 'MessageHandlerExceptionEvent',
          message: `ConnectionError: could not connect to ${DB_URL}`, agent_type: 'Orders', agent_key: 'default',
          traceback: `Traceback (most recent call last):\n  File "/app/orders.py", line 9, in on_order\nConnectionError: could not connect to ${DB_URL}` },
        { ts: '2026-01-10T12:00:01Z', level: 'WARNING', logger: 'app', message: `retrying ${SEARCH} with Authorization: Bearer ${JWT}`,
          agent_key: 'token', future_field: { nested: [`pay with sk-proj-FAKEfake0000fake0000FAKE`] } },
      ],
    });
    return;
  }
  json(409, { error: { code: 'CONFLICT', message: `restart failed: ValueError: bad dsn ${DB_URL}`, details: {} } });
}

let server: ReturnType<typeof createServer>;
let client: BridgeClient;

beforeAll(async () => {
  server = createServer(answer);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  client = new BridgeClient({ name: 'leaky', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, token: 't' },
    { connectMs: 500, requestMs: 2_000 });
});

afterAll(async () => {
  await client.close();
  await new Promise<void>((r) => server.close(() => r()));
});

describe('bridge answers are redacted where they enter the bot', () => {
  it('masks secrets in every string of a parsed answer, fields the schema does not know included', async () => {
    const page = await client.logs({ limit: 10 });
    const [failure, warning] = page.records;
    expect(failure?.message).toBe(`ConnectionError: could not connect to ${MASKED_DB_URL}`);
    expect(failure?.traceback).toContain(MASKED_DB_URL);
    expect(warning?.message).toBe(`retrying https://search.example.com/v1?apikey=${MASK}&q=x with Authorization: Bearer ${MASK}`);
    expect(warning?.agent_key).toBe('token'); // a field's name is no secret
    expect(warning?.['future_field']).toEqual({ nested: [`pay with sk-proj-${MASK}`] });
    const text = JSON.stringify(page);
    for (const secret of ['pw-Secr3t-7391', 'q-key-5512', JWT, 'FAKEfake0000fake0000FAKE']) expect(text).not.toContain(secret);
  });

  it('masks them in a bridge error too, shown to people and kept in the details', async () => {
    const err = await client.runtime().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpsError);
    expect((err as OpsError).details.bridge_message).toBe(`restart failed: ValueError: bad dsn ${MASKED_DB_URL}`);
    expect((err as OpsError).message).not.toContain('pw-Secr3t-7391');
  });
});
