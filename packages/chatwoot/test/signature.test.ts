import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signChatwootPayload, verifyChatwootSignature } from '../src/index.ts';

const secret = 'inbox-secret-5f2c9a';
const body = '{"event":"message_created","id":99002,"content":"Oi, Maria!"}';
const now = Date.UTC(2026, 5, 20, 14, 2, 32);
const ts = Math.floor(now / 1000);

// Computed independently of the implementation: HMAC-SHA256(secret, "<ts>.<body>") as hex.
const expected = `sha256=${createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex')}`;
const headers = { 'X-Chatwoot-Timestamp': String(ts), 'X-Chatwoot-Signature': expected, 'X-Chatwoot-Delivery': 'a1b2' };

describe('verifyChatwootSignature', () => {
  it('signs "<timestamp>.<raw body>", not the body alone', () => {
    expect(signChatwootPayload(secret, ts, body)).toBe(expected);
    const bodyOnly = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    expect(verifyChatwootSignature({ rawBody: body, headers: { ...headers, 'X-Chatwoot-Signature': bodyOnly }, secret, now })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('accepts a valid signature from a string or bytes, any header case, a Headers object', () => {
    expect(verifyChatwootSignature({ rawBody: body, headers, secret, now })).toEqual({ ok: true, timestamp: ts });
    expect(verifyChatwootSignature({ rawBody: Buffer.from(body), headers, secret, now })).toEqual({ ok: true, timestamp: ts });
    const lower = { 'x-chatwoot-timestamp': String(ts), 'x-chatwoot-signature': expected.toUpperCase().replace('SHA256=', 'sha256=') };
    expect(verifyChatwootSignature({ rawBody: body, headers: lower, secret, now })).toEqual({ ok: true, timestamp: ts });
    expect(verifyChatwootSignature({ rawBody: body, headers: new Headers(headers), secret, now })).toEqual({ ok: true, timestamp: ts });
    // Node's IncomingHttpHeaders can carry arrays.
    expect(
      verifyChatwootSignature({
        rawBody: body,
        headers: { 'x-chatwoot-timestamp': [String(ts)], 'x-chatwoot-signature': [expected] },
        secret,
        now,
      }).ok,
    ).toBe(true);
  });

  it('rejects a tampered body', () => {
    const tampered = body.replace('Oi, Maria!', 'Oi, Mario!');
    expect(verifyChatwootSignature({ rawBody: tampered, headers, secret, now })).toEqual({ ok: false, reason: 'mismatch' });
    // Re-serialised JSON is a different byte string, even when it means the same.
    const reserialised = JSON.stringify(JSON.parse(body), null, 1);
    expect(verifyChatwootSignature({ rawBody: reserialised, headers, secret, now })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects the wrong secret', () => {
    expect(verifyChatwootSignature({ rawBody: body, headers, secret: 'another-inbox-secret', now })).toEqual({
      ok: false,
      reason: 'mismatch',
    });
  });

  it('rejects a timestamp that was changed after signing', () => {
    const replayed = { ...headers, 'X-Chatwoot-Timestamp': String(ts + 1) };
    expect(verifyChatwootSignature({ rawBody: body, headers: replayed, secret, now })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('rejects stale and future timestamps beyond the tolerance, accepts the edge', () => {
    expect(verifyChatwootSignature({ rawBody: body, headers, secret, now: now + 301_000 })).toEqual({ ok: false, reason: 'stale' });
    expect(verifyChatwootSignature({ rawBody: body, headers, secret, now: now - 301_000 })).toEqual({ ok: false, reason: 'stale' });
    expect(verifyChatwootSignature({ rawBody: body, headers, secret, now: now + 300_000 })).toEqual({ ok: true, timestamp: ts });
    expect(verifyChatwootSignature({ rawBody: body, headers, secret, now: now + 61_000, toleranceSeconds: 60 })).toEqual({
      ok: false,
      reason: 'stale',
    });
  });

  it('rejects missing and malformed headers', () => {
    expect(verifyChatwootSignature({ rawBody: body, headers: { 'X-Chatwoot-Timestamp': String(ts) }, secret, now })).toEqual({
      ok: false,
      reason: 'missing_signature',
    });
    expect(verifyChatwootSignature({ rawBody: body, headers: { 'X-Chatwoot-Signature': expected }, secret, now })).toEqual({
      ok: false,
      reason: 'missing_timestamp',
    });
    expect(verifyChatwootSignature({ rawBody: body, headers: {}, secret, now })).toEqual({ ok: false, reason: 'missing_signature' });
    expect(
      verifyChatwootSignature({ rawBody: body, headers: { ...headers, 'X-Chatwoot-Signature': expected.slice(7) }, secret, now }),
    ).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(
      verifyChatwootSignature({ rawBody: body, headers: { ...headers, 'X-Chatwoot-Timestamp': '2026-06-20T14:02:32Z' }, secret, now }),
    ).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });
});
