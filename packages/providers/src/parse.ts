// Providers send the same field with different types depending on version and path: booleans as
// strings, protobuf Longs as objects, timestamps in seconds or milliseconds. These readers accept all.

export const asRecord = (v: unknown): Record<string, unknown> | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

export function asString(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

export function asBool(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (s === 'true' || s === '1' || s === 'yes') return true;
    if (s === 'false' || s === '0' || s === 'no' || s === '') return false;
  }
  return undefined;
}

/** Numbers, numeric strings and protobuf Longs (`{ low, high, unsigned }`). */
export function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  const r = asRecord(v);
  if (r && typeof r.low === 'number' && typeof r.high === 'number') {
    return r.high * 2 ** 32 + (r.low >>> 0);
  }
  return undefined;
}

/** Seconds or milliseconds since the epoch → milliseconds (anything before 2001 in ms is taken as seconds). */
export function toEpochMs(v: unknown, fallback = Date.now()): number {
  const n = asNumber(v);
  if (n === undefined || n <= 0) {
    if (typeof v === 'string') {
      const parsed = Date.parse(v);
      if (!Number.isNaN(parsed)) return parsed;
    }
    return fallback;
  }
  return n < 1e12 ? Math.round(n * 1000) : Math.round(n);
}

/** Byte maps (`{ "0": 12, "1": 34 }`), arrays and base64 strings → base64. */
export function bytesToBase64(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return Buffer.from(v as number[]).toString('base64');
  const r = asRecord(v);
  if (r) {
    const keys = Object.keys(r);
    if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) {
      return Buffer.from(keys.sort((a, b) => Number(a) - Number(b)).map((k) => Number(r[k]))).toString('base64');
    }
  }
  return undefined;
}
