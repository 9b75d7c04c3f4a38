import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED, redact, SECRET_KEYS } from '../src/logger.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'trace' }, stream) };
}

describe('logger redaction', () => {
  it('removes the value of every secret key at any depth, keeping the rest', () => {
    const { lines, logger } = capture();
    const values = SECRET_KEYS.map((key, i) => [key, `secret-value-${i}-${key.replace(/\W/g, '')}`] as const);
    const flat = Object.fromEntries(values);
    // Uazapi puts `token` in webhook bodies, Evolution `apikey`; nest them the way providers do.
    const nested = {
      event: 'messages.upsert',
      body: { instance: 'demo', token: 'uazapi-instance-token-123', data: { apikey: 'evo-key-456', deeper: [{ ...flat }] } },
      headers: { Authorization: 'Bearer abc.def.ghi', Cookie: 'wp_refresh=zzz', 'X-Chatwoot-Signature': 'sha256=1234' },
      userToken: 'cw-user-token-789',
      adminTokenEnc: 'v1:xyz:ciphertext',
    };
    logger.info({ request: nested, ...flat }, 'incoming');
    logger.error({ err: Object.assign(new Error('boom'), { config: { headers: { apikey: 'err-apikey-000' } } }) }, 'failed');
    const output = lines.join('\n');

    for (const [, value] of values) expect(output).not.toContain(value);
    for (const value of [
      'uazapi-instance-token-123',
      'evo-key-456',
      'abc.def.ghi',
      'wp_refresh=zzz',
      'sha256=1234',
      'cw-user-token-789',
      'ciphertext',
      'err-apikey-000',
    ]) {
      expect(output).not.toContain(value);
    }
    const first = JSON.parse(lines[0] as string);
    expect(first.msg).toBe('incoming');
    expect(first.request.event).toBe('messages.upsert');
    expect(first.request.body.instance).toBe('demo');
    expect(first.request.body.token).toBe(REDACTED);
    expect(first.request.body.data.deeper[0].api_access_token).toBe(REDACTED);
    const second = JSON.parse(lines[1] as string);
    expect(second.err.message).toBe('boom');
    expect(second.err.config.headers.apikey).toBe(REDACTED);
  });

  it('copes with cycles and leaves non-secret values alone', () => {
    const a: Record<string, unknown> = { name: 'x', password: 'p' };
    a.self = a;
    const out = redact(a) as Record<string, unknown>;
    expect(out.name).toBe('x');
    expect(out.password).toBe(REDACTED);
    expect(out.self).toBe(out);
  });
});

describe('request serialisation', () => {
  it('keeps webhook path secrets and secret query parameters out of request logs', async () => {
    const { redactUrl } = await import('../src/logger.ts');
    expect(redactUrl('/webhooks/uazapi/s3cr3t-path')).toBe('/webhooks/uazapi/[redacted]');
    expect(redactUrl('/webhooks/chatwoot/abc?x=1&token=t0k')).toBe('/webhooks/chatwoot/[redacted]?x=1&token=%5Bredacted%5D');
    expect(redactUrl('/api/v1/instances?page=2')).toBe('/api/v1/instances?page=2');
    const { lines, logger } = capture();
    logger.info(
      {
        req: {
          id: 'r1',
          method: 'POST',
          url: '/webhooks/evolution/very-secret',
          headers: { authorization: 'Bearer x', 'user-agent': 'ua' },
        },
      },
      'incoming request',
    );
    const line = JSON.parse(lines[0] as string);
    expect(line.req).toEqual({ id: 'r1', method: 'POST', url: '/webhooks/evolution/[redacted]', userAgent: 'ua' });
    expect(lines[0]).not.toContain('very-secret');
    // A Fastify reply's status code is a prototype getter: the serializer must still see it.
    class Reply {
      get statusCode() {
        return 201;
      }
    }
    logger.info({ res: new Reply(), responseTime: 3 }, 'request completed');
    expect(JSON.parse(lines[1] as string).res).toEqual({ statusCode: 201 });
  });
});
