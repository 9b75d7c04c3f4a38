// The authorization matrix: every operation of the OpenAPI document × every kind of caller × own tenant /
// other tenant, with the expected status derived from the route's declared permission and the role map
// of @whatpro/auth (never written down per cell). Routes added later are walked automatically; a route
// with a path parameter this file cannot fill fails with a message naming the fixture to add, and a
// route with no declared access makes buildApp throw before anything runs.
import { randomUUID } from 'node:crypto';
import { can, type Permission, type Role, scopeOf, writeAudit } from '@whatpro/auth';
import { sha256 } from '@whatpro/platform';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { sample } from 'openapi-sampler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { closeDeps, type HubDeps } from '../src/deps.ts';
import type { RouteAccess } from '../src/http/plugins/authz.ts';
import { login, makeTenant, makeUser, PASSWORD, uniq } from './auth-fixtures.ts';
import { testDeps } from './helpers.ts';

// ─────────────── what a new route may need: small entries here ───────────────

/** Public operations under /api/v1. Making a route public is a decision, so it is listed here. */
const PUBLIC_OPERATIONS = new Set(['POST /api/v1/auth/login', 'POST /api/v1/auth/refresh', 'POST /api/v1/auth/logout']);

/** Routes deliberately left out of the OpenAPI document (besides HEAD twins of GET routes). */
const UNDOCUMENTED_ROUTES = new Set(['GET /api/v1/openapi.json']);

/**
 * Bodies the sampler cannot make valid (patterns, cross-field rules). Allowed callers must reach the
 * handler, so a body has to pass validation.
 */
const BODY_OVERRIDES: Record<string, (w: World) => unknown> = {
  'POST /api/v1/tenants': () => ({ name: 'Matrix tenant', slug: `matrix-${uniq()}` }),
  // Granting the owner role is a separate permission (users:owners); the sampler would pick OWNER.
  'POST /api/v1/users': () => ({ email: `matrix-${uniq()}@example.test`, role: 'VIEWER', password: 'matrix passphrase' }),
};

/**
 * Which fixture fills a path parameter: by the parameter's name (`instanceId`), or for a generic `{id}`
 * by the path segment before it (`/instances/{id}`). The value is a key of `World`.
 */
const PARAM_FIXTURES: Record<string, keyof World> = {
  tenants: 'tenantRecord',
  tenantId: 'tenantRecord',
  users: 'member',
  userId: 'member',
  members: 'member',
  instances: 'instance',
  instanceId: 'instance',
  providers: 'providerServer',
  'provider-servers': 'providerServer',
  providerServerId: 'providerServer',
  connections: 'chatwootConnection',
  'chatwoot-connections': 'chatwootConnection',
  chatwootConnectionId: 'chatwootConnection',
  connectionId: 'chatwootConnection',
  'inbox-links': 'inboxLink',
  links: 'inboxLink',
  inboxLinkId: 'inboxLink',
  linkId: 'inboxLink',
  contacts: 'contact',
  contactId: 'contact',
  contactKey: 'contactKey',
  lanes: 'lane',
  laneId: 'lane',
  items: 'laneItem',
  'lane-items': 'laneItem',
  laneItemId: 'laneItem',
  itemId: 'laneItem',
  executions: 'laneItem',
  executionId: 'laneItem',
  attempts: 'attempt',
  attemptId: 'attempt',
  events: 'event',
  eventId: 'event',
  mappings: 'mapping',
  messages: 'mapping',
  mappingId: 'mapping',
  audit: 'audit',
  auditId: 'audit',
};

// ─────────────── fixtures: one of everything in a tenant ───────────────

interface World {
  tenantRecord: string;
  member: string;
  providerServer: string;
  instance: string;
  chatwootConnection: string;
  inboxLink: string;
  contact: string;
  contactKey: string;
  lane: string;
  laneItem: string;
  attempt: string;
  event: string;
  mapping: string;
  audit: string;
}

// Nothing listens on port 9: routes that call a provider or Chatwoot fail fast instead of hanging.
const DEAD_END = 'http://127.0.0.1:9';

async function createWorld(deps: HubDeps, tenantId: string, tenantRecord: string): Promise<World> {
  const { db, secretBox } = deps;
  const enc = (field: string, rowId: string) => secretBox.encrypt(`secret-${uniq()}`, { field, rowId });
  const id = () => randomUUID();
  const member = await makeUser(db, { tenantId, role: 'VIEWER' });

  const providerServer = id();
  await db.providerServer.create({
    data: {
      id: providerServer,
      tenantId,
      provider: 'UAZAPI',
      name: `ps-${uniq()}`,
      baseUrl: DEAD_END,
      adminTokenEnc: enc('ProviderServer.adminTokenEnc', providerServer),
    },
  });
  const instance = id();
  await db.instance.create({
    data: {
      id: instance,
      tenantId,
      providerServerId: providerServer,
      provider: 'UAZAPI',
      name: `inst-${uniq()}`,
      externalName: `ext-${uniq()}`,
      tokenEnc: enc('Instance.tokenEnc', instance),
      webhookSecretHash: sha256(randomUUID()),
      webhookSecretEnc: enc('Instance.webhookSecretEnc', instance),
    },
  });
  const chatwootConnection = id();
  await db.chatwootConnection.create({
    data: {
      id: chatwootConnection,
      tenantId,
      name: `cw-${uniq()}`,
      baseUrl: DEAD_END,
      accountId: 1,
      userTokenEnc: enc('ChatwootConnection.userTokenEnc', chatwootConnection),
    },
  });
  const inboxLink = id();
  await db.inboxLink.create({
    data: {
      id: inboxLink,
      tenantId,
      instanceId: instance,
      chatwootConnectionId: chatwootConnection,
      inboxId: Math.floor(Math.random() * 1e6),
      hubSecretHash: sha256(randomUUID()),
      hubSecretEnc: enc('InboxLink.hubSecretEnc', inboxLink),
    },
  });
  const contactKey = `5511${Math.floor(Math.random() * 1e9)}@s.whatsapp.net`;
  const contact = (await db.contactIdentity.create({ data: { tenantId, instanceId: instance, jid: contactKey }, select: { id: true } })).id;
  const lane = (await db.lane.create({ data: { tenantId, instanceId: instance, direction: 'INBOUND', contactKey }, select: { id: true } }))
    .id;
  const event = (
    await db.inboundEvent.create({
      data: { tenantId, instanceId: instance, source: 'PROVIDER', kind: 'message', dedupeKey: randomUUID(), payload: {} },
      select: { id: true },
    })
  ).id;
  const laneItem = (
    await db.laneItem.create({
      data: { tenantId, laneId: lane, kind: 'inbound.message', payload: {}, eventId: event },
      select: { id: true },
    })
  ).id;
  const attempt = (
    await db.executionAttempt.create({
      data: { tenantId, laneItemId: laneItem, attempt: 1, workerId: 'matrix', fencingToken: 1n },
      select: { id: true },
    })
  ).id;
  const mapping = (
    await db.messageMapping.create({
      data: { tenantId, instanceId: instance, direction: 'INBOUND', providerMessageId: randomUUID() },
      select: { id: true },
    })
  ).id;
  await writeAudit(db, { action: 'tenant.updated', tenantId, actorUserId: null, targetType: 'tenant', targetId: tenantId });
  const audit = (await db.auditLog.findFirst({ where: { tenantId }, orderBy: { id: 'desc' }, select: { id: true } }))!.id;
  return {
    tenantRecord,
    member: member.id,
    providerServer,
    instance,
    chatwootConnection,
    inboxLink,
    contact,
    contactKey,
    lane,
    laneItem,
    attempt,
    event,
    mapping,
    audit,
  };
}

// ─────────────── walking the document ───────────────

const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

interface Operation {
  method: string;
  /** OpenAPI form: /api/v1/users/{id} */
  path: string;
  /** Fastify form: /api/v1/users/:id */
  route: string;
  spec: OpenApiOperation;
}

interface OpenApiParameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: object;
}
interface OpenApiOperation {
  parameters?: OpenApiParameter[];
  requestBody?: { content?: Record<string, { schema?: object }> };
}

function operationsOf(doc: { paths: Record<string, Record<string, OpenApiOperation>> }): Operation[] {
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const spec = item[method];
      if (spec) ops.push({ method: method.toUpperCase(), path, route: path.replace(/\{([^}]+)\}/g, ':$1'), spec });
    }
  }
  // Reads first: mutations by allowed callers (a delete) must not change what the reads see.
  return ops.sort((a, b) => Number(a.method !== 'GET') - Number(b.method !== 'GET') || a.path.localeCompare(b.path));
}

function fixtureFor(op: Operation, param: string): keyof World {
  const byName = PARAM_FIXTURES[param];
  if (byName) return byName;
  const segments = op.path.split('/');
  const before = segments[segments.indexOf(`{${param}}`) - 1] ?? '';
  const bySegment = PARAM_FIXTURES[before];
  if (bySegment) return bySegment;
  throw new Error(
    `no fixture for {${param}} in ${op.method} ${op.path}: add an entry to PARAM_FIXTURES in apps/hub/test/authz-matrix.test.ts`,
  );
}

function requestFor(op: Operation, world: World, ownWorld: World, token: string | null): InjectOptions {
  const url = op.path.replace(/\{([^}]+)\}/g, (_m, param: string) => encodeURIComponent(world[fixtureFor(op, param)]));
  const query: Record<string, string> = {};
  for (const p of op.spec.parameters ?? []) {
    if (p.in !== 'query' || !p.required) continue;
    // Query filters use the caller's own records: a filter for another tenant's id may rightly answer an empty list.
    const key = PARAM_FIXTURES[p.name];
    query[p.name] = key ? ownWorld[key] : String(sample(p.schema ?? { type: 'string' }, { skipNonRequired: true }));
  }
  const override = BODY_OVERRIDES[`${op.method} ${op.path}`];
  const bodySchema = op.spec.requestBody?.content?.['application/json']?.schema;
  const payload = override ? override(ownWorld) : bodySchema ? sample(bodySchema, { skipNonRequired: true }) : undefined;
  return {
    method: op.method as InjectOptions['method'],
    url,
    query,
    headers: token ? { authorization: `Bearer ${token}` } : {},
    ...(payload === undefined ? {} : { payload: payload as InjectOptions['payload'] }),
  };
}

// ─────────────── the callers ───────────────

interface Caller {
  name: string;
  role: Role | null;
  isPlatformAdmin: boolean;
  token: string;
}

const isAuthzDenial = (res: LightMyRequestResponse, permission: Permission) =>
  res.statusCode === 403 && res.json().error?.details?.permission === permission;

describe('authorization matrix', () => {
  let deps: HubDeps;
  let app: FastifyInstance;
  let operations: Operation[];
  let own: World;
  let other: World;
  const callers: Caller[] = [];

  beforeAll(async () => {
    deps = testDeps();
    app = await buildApp(deps);
    operations = operationsOf((await app.inject('/api/v1/openapi.json')).json());

    const ownTenant = await makeTenant(deps.db, 'Own');
    const otherTenant = await makeTenant(deps.db, 'Other');
    own = await createWorld(deps, ownTenant.id, (await makeTenant(deps.db, 'Managed A')).id);
    other = await createWorld(deps, otherTenant.id, (await makeTenant(deps.db, 'Managed B')).id);
    for (const role of ['OWNER', 'ADMIN', 'OPERATOR', 'VIEWER'] as const) {
      const user = await makeUser(deps.db, { tenantId: ownTenant.id, role });
      callers.push({ name: role, role, isPlatformAdmin: false, token: (await login(app, user.email, PASSWORD)).accessToken });
    }
    // A platform admin with no membership anywhere: tenant routes must stay closed to them.
    const admin = await makeUser(deps.db, { isPlatformAdmin: true });
    callers.push({
      name: 'PLATFORM_ADMIN',
      role: null,
      isPlatformAdmin: true,
      token: (await login(app, admin.email, PASSWORD)).accessToken,
    });
  });
  afterAll(async () => {
    await app.close();
    await closeDeps(deps);
  });

  const accessOf = (op: Operation): RouteAccess | undefined => app.routeAccess.get(`${op.method} ${op.route}`);

  it('documents every route: each one under /api/v1 is in the OpenAPI document, and each operation has declared access', () => {
    const documented = new Set(operations.map((op) => `${op.method} ${op.route}`));
    const undocumented = [...app.routeAccess.keys()].filter(
      (key) => key.includes(' /api/v1/') && !key.startsWith('HEAD ') && !documented.has(key) && !UNDOCUMENTED_ROUTES.has(key),
    );
    expect(undocumented).toEqual([]);
    expect(operations.filter((op) => !accessOf(op)).map((op) => `${op.method} ${op.path}`)).toEqual([]);
    // The walk below covers at least the auth area's own routes.
    expect(operations.length).toBeGreaterThanOrEqual(15);
  });

  it('keeps public operations to the ones listed here', () => {
    const publicOps = operations.filter((op) => accessOf(op)?.public).map((op) => `${op.method} ${op.path}`);
    expect(publicOps.filter((op) => !PUBLIC_OPERATIONS.has(op))).toEqual([]);
    expect([...PUBLIC_OPERATIONS].filter((op) => !publicOps.includes(op))).toEqual([]);
  });

  it('walks every protected operation × caller × own / other tenant', async () => {
    const cells: string[] = [];
    const wrong: string[] = [];
    const check = (cell: string, ok: boolean, res: LightMyRequestResponse) => {
      cells.push(cell);
      if (!ok) wrong.push(`${cell} → ${res.statusCode} ${res.body.slice(0, 200)}`);
    };

    for (const op of operations) {
      const access = accessOf(op);
      if (!access || access.public) continue;
      const { permission } = access;
      const scope = scopeOf(permission);
      const label = `${op.method} ${op.path} [${permission}]`;
      const hasPathParams = op.path.includes('{');

      const anonymous = await app.inject(requestFor(op, own, own, null));
      check(`${label} anonymous`, anonymous.statusCode === 401 && anonymous.headers['www-authenticate'] === 'Bearer', anonymous);

      for (const caller of callers) {
        const allowed = can(caller.role, caller.isPlatformAdmin, permission);
        const worlds: [string, World][] =
          scope === 'tenant' && hasPathParams
            ? [
                ['own', own],
                ['other', other],
              ]
            : [['own', own]];
        for (const [where, world] of worlds) {
          const res = await app.inject(requestFor(op, world, own, caller.token));
          const cell = `${label} ${caller.name} ${where}`;
          if (!allowed) {
            // Denied by role before any record is looked up: the same answer for own and other tenant.
            check(`${cell} expects 403`, isAuthzDenial(res, permission), res);
          } else if (where === 'other') {
            check(`${cell} expects 404`, res.statusCode === 404, res);
          } else if (op.method === 'GET') {
            // The record exists, so a read succeeds, unless it has to ask an outside system, which the
            // fixtures point at a closed port (502/503/504 then still prove the handler was reached).
            const ok = (res.statusCode >= 200 && res.statusCode < 300) || [502, 503, 504].includes(res.statusCode);
            check(`${cell} expects 2xx`, ok, res);
          } else {
            // A write may still fail for its own reasons (validation, an unreachable provider), but never
            // for lack of authentication or permission.
            check(`${cell} expects to pass authorization`, res.statusCode !== 401 && !isAuthzDenial(res, permission), res);
          }
        }
      }
    }
    expect(wrong).toEqual([]);
    // The auth area's routes alone make 93 cells; other areas' routes only add to it.
    expect(cells.length).toBeGreaterThanOrEqual(93);
  });
});
