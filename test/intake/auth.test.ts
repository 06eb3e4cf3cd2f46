import { describe, expect, it } from 'vitest';
import { authenticate, parseSources, signBody, signedHeaders, type AlertSource } from '../../src/intake/auth.js';

const sources: AlertSource[] = [
  { name: 'alertmanager', scheme: 'bearer', secret: 'am-token-0123456789' },
  { name: 'grafana', scheme: 'hmac', secret: 'grafana-secret-0123456789' },
];
const body = Buffer.from('{"alerts":[]}');
const NOW = 1_735_725_600_000;

describe('authenticate', () => {
  it('finds the source by its bearer token', () => {
    expect(authenticate({ authorization: 'Bearer am-token-0123456789' }, body, sources, NOW)).toMatchObject({ ok: true, source: { name: 'alertmanager' } });
    expect(authenticate({ authorization: 'bearer am-token-0123456789 ' }, body, sources, NOW)).toMatchObject({ ok: true });
  });

  it('refuses a missing, malformed or unknown bearer token', () => {
    expect(authenticate({}, body, sources, NOW)).toMatchObject({ ok: false, code: 'INTAKE_UNAUTHORIZED' });
    expect(authenticate({ authorization: 'Basic abc' }, body, sources, NOW)).toMatchObject({ ok: false, code: 'INTAKE_UNAUTHORIZED' });
    expect(authenticate({ authorization: 'Bearer wrong' }, body, sources, NOW)).toMatchObject({ ok: false, code: 'INTAKE_UNAUTHORIZED' });
    // an HMAC secret is not a bearer token
    expect(authenticate({ authorization: 'Bearer grafana-secret-0123456789' }, body, sources, NOW)).toMatchObject({ ok: false });
  });

  it('accepts a correct HMAC signature over "<timestamp>.<body>" with a fresh timestamp', () => {
    const ts = Math.floor(NOW / 1000) - 10;
    const sigTs = signBody('grafana-secret-0123456789', body, ts);
    expect(authenticate({ 'x-signature-256': sigTs, 'x-signature-timestamp': String(ts) }, body, sources, NOW)).toMatchObject({ ok: true, source: { name: 'grafana' } });
    expect(authenticate(signedHeaders('grafana-secret-0123456789', body, NOW), body, sources, NOW)).toMatchObject({ ok: true });
  });

  it('refuses a wrong signature, a changed body, a malformed signature', () => {
    const h = signedHeaders('grafana-secret-0123456789', body, NOW);
    expect(authenticate(h, Buffer.from('{"alerts":[1]}'), sources, NOW)).toMatchObject({ ok: false, code: 'INTAKE_SIGNATURE_INVALID' });
    expect(authenticate({ ...h, 'x-signature-256': 'sha256=' + '0'.repeat(64) }, body, sources, NOW)).toMatchObject({ ok: false, code: 'INTAKE_SIGNATURE_INVALID' });
    expect(authenticate({ ...h, 'x-signature-256': 'md5=abc' }, body, sources, NOW)).toMatchObject({ ok: false, code: 'INTAKE_SIGNATURE_INVALID' });
  });

  it('requires the timestamp: a signature of the bare body (the old, replayable form) is refused', () => {
    const ts = Math.floor(NOW / 1000);
    const res = authenticate({ 'x-signature-256': signBody('grafana-secret-0123456789', body, ts) }, body, sources, NOW);
    expect(res).toMatchObject({ ok: false, code: 'INTAKE_SIGNATURE_INVALID' });
    expect(res.ok ? '' : res.reason).toContain('x-signature-timestamp is required');
  });

  it('refuses a replay outside the window with its own code; the window is configurable', () => {
    const captured = signedHeaders('grafana-secret-0123456789', body, NOW);
    // the same request, replayed 301 s later
    const replay = authenticate(captured, body, sources, NOW + 301_000);
    expect(replay).toMatchObject({ ok: false, code: 'INTAKE_SIGNATURE_EXPIRED' });
    expect(replay.ok ? '' : replay.reason).toContain('300 s');
    // inside the default window it is still the sender's request
    expect(authenticate(captured, body, sources, NOW + 299_000)).toMatchObject({ ok: true });
    // a tighter window
    expect(authenticate(captured, body, sources, NOW + 61_000, 60)).toMatchObject({ ok: false, code: 'INTAKE_SIGNATURE_EXPIRED' });
    // a timestamp from the future is refused alike
    expect(authenticate(captured, body, sources, NOW - 301_000)).toMatchObject({ ok: false, code: 'INTAKE_SIGNATURE_EXPIRED' });
    // and the timestamp cannot be refreshed without the secret
    const forged = { ...captured, 'x-signature-timestamp': String(Math.floor((NOW + 301_000) / 1000)) };
    expect(authenticate(forged, body, sources, NOW + 301_000)).toMatchObject({ ok: false, code: 'INTAKE_SIGNATURE_INVALID' });
  });
});

describe('parseSources', () => {
  it('parses bearer and hmac sources; secrets may contain = and :', () => {
    expect(parseSources('am=bearer:abcdefghijklmnop==, ci=hmac:a:b:c:d:e:f:g:h:i:j')).toEqual({
      sources: [
        { name: 'am', scheme: 'bearer', secret: 'abcdefghijklmnop==' },
        { name: 'ci', scheme: 'hmac', secret: 'a:b:c:d:e:f:g:h:i:j' },
      ],
      problems: [],
    });
  });

  it('reports every problem without echoing secrets', () => {
    const { problems } = parseSources('am=bearer:short, x=basic:abcdefghijklmnopq, am=hmac:abcdefghijklmnopq');
    expect(problems).toHaveLength(3);
    expect(problems.join(' ')).not.toContain('abcdefghijklmnopq');
  });
});
