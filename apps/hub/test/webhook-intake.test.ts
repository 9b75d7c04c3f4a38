// The intake's bad-input paths: every one answers a clear JSON error, loses nothing it accepted,
// and never logs the path secret or the tokens inside the body.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createLogger, randomToken, sha256 } from '@whatpro/platform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { closeDeps, type HubDeps } from '../src/deps.ts';
import { testDeps } from './helpers.ts';

const logLines: string[] = [];
const sink = new Writable({
  write(chunk, _e, done) {
    logLines.push(chunk.toString());
    done();
  },
});

let deps: HubDeps;
let app: Awaited<ReturnType<typeof buildApp>>;
const secret = randomToken();
const instanceToken = `inst-token-${randomUUID()}`;
let instanceId: string;

// A real captured Uazapi message webhook (contracts/uazapi/fixtures), with our token and a fresh id.
const fixture = JSON.parse(
  readFileSync(
    path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/contracts/uazapi/fixtures/webhook-message-text.json'),
    'utf8',
  ),
);
const uazapiBody = (token: string, id: string) => ({
  ...fixture,
  instanceName: 'intake-test',
  token,
  message: { ...fixture.message, messageid: id, id: `${fixture.message.owner}:${id}` },
});

beforeAll(async () => {
  deps = testDeps({ WEBHOOK_BODY_LIMIT_BYTES: '4096', LOG_LEVEL: 'info' });
  deps.logger = createLogger({ level: 'info' }, sink);
  app = await buildApp(deps);
  const tenant = await deps.db.tenant.create({ data: { name: 'intake', slug: `intake-${randomUUID()}` } });
  const server = await deps.db.providerServer.create({
    data: { tenantId: tenant.id, provider: 'UAZAPI', name: 's', baseUrl: 'http://127.0.0.1:9', adminTokenEnc: 'x' },
  });
  const id = randomUUID();
  await deps.db.instance.create({
    data: {
      id,
      tenantId: tenant.id,
      providerServerId: server.id,
      provider: 'UAZAPI',
      name: 'intake',
      externalName: 'intake-test',
      tokenEnc: deps.secretBox.encrypt(instanceToken, { field: 'Instance.tokenEnc', rowId: id }),
      webhookSecretHash: sha256(secret),
      webhookSecretEnc: deps.secretBox.encrypt(secret, { field: 'Instance.webhookSecretEnc', rowId: id }),
    },
  });
  instanceId = id;
});
afterAll(async () => {
  await app.close();
  await closeDeps(deps);
});

const post = (path: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({
    method: 'POST',
    url: path,
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    headers: { 'content-type': 'application/json', ...headers },
  });

describe('provider webhook intake', () => {
  it('stores an accepted event once and answers duplicates with 200 and nothing new', async () => {
    const body = uazapiBody(instanceToken, 'ABCDEF0001');
    const first = await post(`/webhooks/uazapi/${secret}`, body);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toMatchObject({ received: 1, accepted: 1, duplicates: 0 });
    const second = await post(`/webhooks/uazapi/${secret}`, body);
    expect(second.json()).toMatchObject({ received: 1, accepted: 0, duplicates: 1 });
    const events = await deps.db.inboundEvent.findMany({
      where: { tenantId: (await deps.db.$unguarded('t').instance.findUniqueOrThrow({ where: { id: instanceId } })).tenantId },
    });
    expect(events.map((e) => e.dedupeKey).filter((k) => k.includes('ABCDEF0001'))).toHaveLength(1);
    // The stored payload is the canonical event: no provider token in it.
    expect(JSON.stringify(events)).not.toContain(instanceToken);
  });

  it('answers an unknown secret with 404, a wrong provider with 404, and a token mismatch with 401', async () => {
    const unknown = await post(`/webhooks/uazapi/${randomToken()}`, uazapiBody(instanceToken, 'X1'));
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'unknown webhook' } });
    expect((await post(`/webhooks/evolution/${secret}`, uazapiBody(instanceToken, 'X2'))).statusCode).toBe(404);
    expect((await post(`/webhooks/whatever/${secret}`, uazapiBody(instanceToken, 'X3'))).statusCode).toBe(404);
    const mismatch = await post(`/webhooks/uazapi/${secret}`, uazapiBody('someone-elses-token', 'X4'));
    expect(mismatch.statusCode).toBe(401);
    expect(mismatch.json().error.code).toBe('UNAUTHENTICATED');
    expect(mismatch.body).not.toContain('someone-elses-token');
  });

  it('answers malformed bodies with 400 and oversized ones with 413', async () => {
    const notJson = await post(`/webhooks/uazapi/${secret}`, '{"EventType": ');
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json().error.code).toBeTypeOf('string');
    const wrongShape = await post(`/webhooks/uazapi/${secret}`, [1, 2, 3]);
    expect(wrongShape.statusCode).toBe(400);
    expect(wrongShape.json().error.code).toBe('VALIDATION');
    const big = await post(`/webhooks/uazapi/${secret}`, { ...uazapiBody(instanceToken, 'BIG'), padding: 'x'.repeat(8000) });
    expect(big.statusCode).toBe(413);
    expect(big.json().error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('never logs the path secret or the tokens of the body', () => {
    const all = logLines.join('\n');
    expect(all.length).toBeGreaterThan(0);
    expect(all).not.toContain(secret);
    expect(all).not.toContain(instanceToken);
    expect(all).not.toContain('someone-elses-token');
  });
});

describe('evolution webhook intake', () => {
  const evoFixture = JSON.parse(
    readFileSync(
      path.resolve(
        path.dirname(fileURLToPath(import.meta.url)),
        '../../../../shared/contracts/evolution/fixtures/messages-upsert-text.json',
      ),
      'utf8',
    ),
  );
  const evoSecret = randomToken();
  const evoToken = `evo-token-${randomUUID()}`;
  const body = (apikey: string | null, id: string) => ({
    ...evoFixture,
    instance: 'evo-intake',
    apikey,
    data: { ...evoFixture.data, key: { ...evoFixture.data.key, id } },
  });

  beforeAll(async () => {
    const raw = deps.db.$unguarded('test setup');
    const tenant = await raw.tenant.create({ data: { name: 'evo intake', slug: `evo-intake-${randomUUID()}` } });
    const server = await raw.providerServer.create({
      data: { tenantId: tenant.id, provider: 'EVOLUTION', name: 's', baseUrl: 'http://127.0.0.1:9', adminTokenEnc: 'x' },
    });
    const id = randomUUID();
    await raw.instance.create({
      data: {
        id,
        tenantId: tenant.id,
        providerServerId: server.id,
        provider: 'EVOLUTION',
        name: 'evo',
        externalName: 'evo-intake',
        tokenEnc: deps.secretBox.encrypt(evoToken, { field: 'Instance.tokenEnc', rowId: id }),
        webhookSecretHash: sha256(evoSecret),
        webhookSecretEnc: deps.secretBox.encrypt(evoSecret, { field: 'Instance.webhookSecretEnc', rowId: id }),
      },
    });
  });

  it('accepts a payload whose apikey Evolution does not expose, and refuses a different one', async () => {
    const hidden = await post(`/webhooks/evolution/${evoSecret}`, body(null, 'EVO0001'));
    expect(hidden.statusCode).toBe(200);
    expect(hidden.json()).toMatchObject({ accepted: 1 });
    const right = await post(`/webhooks/evolution/${evoSecret}`, body(evoToken, 'EVO0002'));
    expect(right.json()).toMatchObject({ accepted: 1 });
    const wrong = await post(`/webhooks/evolution/${evoSecret}`, body('not-the-token', 'EVO0003'));
    expect(wrong.statusCode).toBe(401);
  });
});

describe('chatwoot webhook intake', () => {
  it('answers an unknown secret with 404 and a bad signature with 401, both as JSON', async () => {
    const unknown = await post(`/webhooks/chatwoot/${randomToken()}`, { event: 'message_created' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'unknown webhook' } });
  });
});
