/**
 * Reading a request body with a bound, for every HTTP door that reads one (the alert intake, the Slack
 * endpoint). A declared `Content-Length` over the limit is refused before a byte is read; a body without
 * one (chunked) is counted as it arrives and stops being kept the moment it passes the limit — the rest is
 * read and dropped so the answer (413) reaches the sender. At most `limit` bytes are ever held.
 */
import type { IncomingMessage } from 'node:http';

export class BodyTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`request body exceeds ${limit} bytes`);
  }
}

/** The body, at most `limit` bytes; rejects with `BodyTooLarge` beyond it. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(new BodyTooLarge(limit));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > limit) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => (tooLarge ? reject(new BodyTooLarge(limit)) : resolve(Buffer.concat(chunks, size))));
    req.on('error', reject);
  });
}

/** The default bound of a response body the bot reads from a bridge or Alertmanager, bytes (8 MiB). */
export const DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

/**
 * Reads a response body (any async iterable of chunks, e.g. undici's `res.body`) as UTF-8 text of at most
 * `limit` bytes: a declared length over it is refused before reading, and reading stops (the stream is
 * destroyed) the moment the bound is passed. Rejects with `BodyTooLarge`.
 */
export async function readBoundedText(
  body: AsyncIterable<Uint8Array> & { destroy?: (err?: Error) => unknown },
  limit: number,
  declaredLength?: string | string[] | undefined,
): Promise<string> {
  const declared = Number(Array.isArray(declaredLength) ? declaredLength[0] : declaredLength ?? NaN);
  if (Number.isFinite(declared) && declared > limit) {
    body.destroy?.();
    throw new BodyTooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > limit) {
      body.destroy?.();
      throw new BodyTooLarge(limit);
    }
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
  }
  return Buffer.concat(chunks, size).toString('utf8');
}
