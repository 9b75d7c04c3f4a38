// Webhook signatures of API-channel inboxes (Chatwoot v4.13+, PR #13892; lib/webhooks/trigger.rb):
//   X-Chatwoot-Timestamp: <unix seconds>
//   X-Chatwoot-Signature: sha256=<hex HMAC-SHA256(inbox secret, "<timestamp>.<raw body>")>
// Signing the body alone is the common mistake (#13809). Older instances send neither header, so
// whether a signature is required is the caller's decision (per inbox), not this function's.
import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '@whatpro/platform';

export const SIGNATURE_HEADER = 'x-chatwoot-signature';
export const TIMESTAMP_HEADER = 'x-chatwoot-timestamp';
export const DELIVERY_HEADER = 'x-chatwoot-delivery';

export type HeaderBag = Headers | Record<string, string | string[] | undefined>;

export interface VerifySignatureInput {
  /** The exact bytes received; re-serialised JSON will not match. */
  rawBody: string | Uint8Array;
  headers: HeaderBag;
  secret: string;
  /** Milliseconds since the epoch (default: now). */
  now?: number;
  /** Accepted clock distance either way (default 300 s, as the PR suggests). */
  toleranceSeconds?: number;
}

export type SignatureFailure = 'missing_signature' | 'missing_timestamp' | 'malformed' | 'stale' | 'mismatch';

export type VerifySignatureResult = { ok: true; timestamp: number } | { ok: false; reason: SignatureFailure };

export function headerValue(headers: HeaderBag, name: string): string | undefined {
  if (headers instanceof Headers) return headers.get(name) ?? undefined;
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name);
  const value = key === undefined ? undefined : headers[key];
  return Array.isArray(value) ? value[0] : value;
}

/** The header value Chatwoot would send for this body and timestamp. */
export function signChatwootPayload(secret: string, timestamp: number, rawBody: string | Uint8Array): string {
  const hmac = createHmac('sha256', secret);
  hmac.update(`${timestamp}.`);
  hmac.update(rawBody);
  return `sha256=${hmac.digest('hex')}`;
}

export function verifyChatwootSignature(input: VerifySignatureInput): VerifySignatureResult {
  const signature = headerValue(input.headers, SIGNATURE_HEADER)?.trim();
  if (!signature) return { ok: false, reason: 'missing_signature' };
  const rawTimestamp = headerValue(input.headers, TIMESTAMP_HEADER)?.trim();
  if (!rawTimestamp) return { ok: false, reason: 'missing_timestamp' };
  if (!/^\d{1,12}$/.test(rawTimestamp) || !/^sha256=[0-9a-fA-F]{64}$/.test(signature)) return { ok: false, reason: 'malformed' };

  const timestamp = Number(rawTimestamp);
  const nowSeconds = Math.floor((input.now ?? Date.now()) / 1000);
  if (Math.abs(nowSeconds - timestamp) > (input.toleranceSeconds ?? 300)) return { ok: false, reason: 'stale' };

  const expected = signChatwootPayload(input.secret, timestamp, input.rawBody);
  return constantTimeEqual(expected, signature.toLowerCase()) ? { ok: true, timestamp } : { ok: false, reason: 'mismatch' };
}
