/**
 * Who sent an alert request: a bearer token or an HMAC signature, per configured source.
 *
 * - Bearer (what Alertmanager's `http_config.authorization` sends): `Authorization: Bearer <token>`.
 * - HMAC: `X-Signature-Timestamp: <unix seconds>` and
 *   `X-Signature-256: sha256=<hex of HMAC-SHA256(secret, "<timestamp>.<raw body>")>`. The timestamp is
 *   required and signed: one more than `toleranceS` away from now is refused (`INTAKE_SIGNATURE_EXPIRED`),
 *   so a captured request cannot be replayed after the window (docs/alerting.md, docs/security.md).
 *
 * The source is found by its credential (no source name on the wire); comparisons are constant-time.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type AuthScheme = 'bearer' | 'hmac';

export interface AlertSource {
  /** Name shown in incidents and logs, e.g. `alertmanager`, `grafana`. */
  readonly name: string;
  readonly scheme: AuthScheme;
  /** Bearer token or HMAC secret (from the environment only). */
  readonly secret: string;
}

export const SIGNATURE_HEADER = 'x-signature-256';
export const TIMESTAMP_HEADER = 'x-signature-timestamp';
/** Default tolerance for signed timestamps, seconds. */
export const DEFAULT_TOLERANCE_S = 300;
export const MIN_SECRET_LENGTH = 16;

export type AuthResult =
  | { readonly ok: true; readonly source: AlertSource }
  | { readonly ok: false; readonly code: 'INTAKE_UNAUTHORIZED' | 'INTAKE_SIGNATURE_INVALID' | 'INTAKE_SIGNATURE_EXPIRED'; readonly reason: string };

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function digest(text: string | Buffer): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Constant-time equality of two strings of any length. */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** `sha256=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>`, as a sender computes it (the signature base). */
export function signBody(secret: string, body: Buffer | string, timestamp: number): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestamp}.`);
  mac.update(body);
  return `sha256=${mac.digest('hex')}`;
}

/** The two headers a signed sender adds for `body` at `nowMs` (tests, examples). */
export function signedHeaders(secret: string, body: Buffer | string, nowMs: number): Record<string, string> {
  const ts = Math.floor(nowMs / 1000);
  return { [TIMESTAMP_HEADER]: String(ts), [SIGNATURE_HEADER]: signBody(secret, body, ts) };
}

/** Authenticates one request against the configured sources. */
export function authenticate(
  headers: Headers,
  rawBody: Buffer,
  sources: readonly AlertSource[],
  nowMs: number,
  toleranceS = DEFAULT_TOLERANCE_S,
): AuthResult {
  const signature = header(headers, SIGNATURE_HEADER);
  if (signature !== undefined) {
    const tsText = header(headers, TIMESTAMP_HEADER);
    if (tsText === undefined) {
      return { ok: false, code: 'INTAKE_SIGNATURE_INVALID', reason: `${TIMESTAMP_HEADER} is required: send unix seconds and sign "<timestamp>.<body>"` };
    }
    if (!/^\d{1,12}$/.test(tsText)) {
      return { ok: false, code: 'INTAKE_SIGNATURE_INVALID', reason: `${TIMESTAMP_HEADER} must be unix seconds` };
    }
    const ts = Number(tsText);
    if (Math.abs(nowMs / 1000 - ts) > toleranceS) {
      return { ok: false, code: 'INTAKE_SIGNATURE_EXPIRED', reason: `${TIMESTAMP_HEADER} is more than ${toleranceS} s away from the server's clock (a replay, or a clock that is off)` };
    }
    if (!/^sha256=[0-9a-f]{64}$/i.test(signature)) {
      return { ok: false, code: 'INTAKE_SIGNATURE_INVALID', reason: `${SIGNATURE_HEADER} must be "sha256=" followed by 64 hex digits` };
    }
    const given = signature.toLowerCase();
    let match: AlertSource | undefined;
    for (const source of sources) {
      if (source.scheme === 'hmac' && sameSecret(signBody(source.secret, rawBody, ts), given) && !match) match = source;
    }
    return match
      ? { ok: true, source: match }
      : { ok: false, code: 'INTAKE_SIGNATURE_INVALID', reason: 'the signature does not match the body for any configured HMAC source' };
  }
  const auth = header(headers, 'authorization');
  if (auth === undefined) {
    return { ok: false, code: 'INTAKE_UNAUTHORIZED', reason: `send "Authorization: Bearer <token>" or a "${SIGNATURE_HEADER}" signature` };
  }
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  if (!bearer) return { ok: false, code: 'INTAKE_UNAUTHORIZED', reason: 'the Authorization header is not "Bearer <token>"' };
  const token = bearer[1]!;
  let match: AlertSource | undefined;
  for (const source of sources) {
    if (source.scheme === 'bearer' && sameSecret(source.secret, token) && !match) match = source;
  }
  return match ? { ok: true, source: match } : { ok: false, code: 'INTAKE_UNAUTHORIZED', reason: 'the bearer token matches no configured alert source' };
}

/** Parses ALERT_SOURCES: `name=bearer:<token>,other=hmac:<secret>`; every problem is reported. */
export function parseSources(text: string): { sources: AlertSource[]; problems: string[] } {
  const sources: AlertSource[] = [];
  const problems: string[] = [];
  const names = new Set<string>();
  for (const [index, raw] of text.split(',').entries()) {
    const item = raw.trim();
    if (item === '') continue;
    const m = /^([a-z0-9][a-z0-9_-]{0,39})=(bearer|hmac):(.*)$/i.exec(item);
    // name the entry, never echo what may be a secret
    const eq = item.indexOf('=');
    const nameForMessage = eq > 0 && eq <= 40 ? `"${item.slice(0, eq)}"` : `#${index + 1}`;
    if (!m) {
      problems.push(`alert source ${nameForMessage} is not name=bearer:<token> or name=hmac:<secret> (name: lower-case letters, digits, _ -)`);
      continue;
    }
    const name = m[1]!.toLowerCase();
    const secret = m[3]!;
    if (secret.length < MIN_SECRET_LENGTH) problems.push(`alert source "${name}": its secret must be at least ${MIN_SECRET_LENGTH} characters`);
    if (names.has(name)) problems.push(`alert source "${name}" is listed twice`);
    names.add(name);
    sources.push({ name, scheme: m[2]!.toLowerCase() as AuthScheme, secret });
  }
  return { sources, problems };
}
