import { describe, expect, it } from 'vitest';
import { authenticate, parseSources, signBody, type AlertSource } from '../../src/intake/auth.js';

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

  it('accepts a correct HMAC signature, with or without a fresh timestamp', () => {
    const sig = signBody('grafana-secret-0123456789', body);
    expect(authenticate({ 'x-signature-256': sig }, body, sources, NOW)).toMatchObject({ ok: true, source: { name: 'grafana' } });
    const ts = Math.floor(NOW / 1000) - 10;
    const sigTs = signBody('grafana-secret-0123456789', body, ts);
    expect(authenticate({ 'x-signature-256': sigTs, 'x-signature-timestamp': String(ts) }, body, sources, NOW)).toMatchObject({ ok: true });
  });

  it('refuses a wrong signature, a changed body, a stale timestamp', () => {
    const sig = signBody('grafana-secret-0123456789', body);
    expect(authenticate({ 'x-signature-256': sig }, Buffer.from('{"alerts":[1]}'), sources, NOW)).toMatchObject({ ok: false, code: 'INTAKE_SIGNATURE_INVALID' });
    expect(authenticate({ 'x-signature-256': 'sha256=' + '0'.repeat(64) }, body, sources, NOW)).toMatchObject({ ok: false, code: 'INTAKE_SIGNATURE_INVALID' });
    expect(authenticate({ 'x-signature-256': 'md5=abc' }, body, sources, NOW)).toMatchObject({ ok: false, code: 'INTAKE_SIGNATURE_INVALID' });
    const old = Math.floor(NOW / 1000) - 3600;
    const sigOld = signBody('grafana-secret-0123456789', body, old);
    const stale = authenticate({ 'x-signature-256': sigOld, 'x-signature-timestamp': String(old) }, body, sources, NOW);
    expect(stale).toMatchObject({ ok: false, code: 'INTAKE_SIGNATURE_INVALID' });
    expect(stale.ok ? '' : stale.reason).toContain('clock');
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
