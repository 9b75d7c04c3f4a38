// WhatsApp instances of the active tenant: create on a provider server, pair (QR or pair code), watch,
// operate, configure, delete, and reconcile with what the provider servers hold.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HubDeps } from '../../deps.ts';
import { instanceSettingsSchema, lanePolicySchema } from '../../services/instance-settings.ts';
import {
  connectInstance,
  createInstance,
  deleteInstance,
  disconnectInstance,
  getInstanceCodes,
  getInstanceDetail,
  importInstance,
  listInstances,
  refreshInstanceStatus,
  restartInstance,
  syncInstances,
  updateInstanceSettings,
  updateLanePolicy,
} from '../../services/provisioning.ts';
import { codesSchema, instanceSchema, instanceView, remoteInstanceSchema } from '../../services/views.ts';
import { actorOf, idParams } from './provider-servers.ts';

const instanceName = z.string().trim().min(1).max(80);
const settingKey = z.string();
const settingsOutcome = { applied: z.array(settingKey), unsupported: z.array(settingKey) };

export async function instanceRoutes(app: FastifyInstance, deps: HubDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['instances'];
  const detail = async (tenantId: string, id: string) => instanceView(deps, await getInstanceDetail(deps, tenantId, id));

  r.get(
    '/instances',
    {
      config: { permission: 'instances:read' },
      schema: {
        tags,
        summary: 'Instances with status, number, provider, inbox link and queue counts per state',
        querystring: z.object({
          status: z.enum(['CREATED', 'CONNECTING', 'OPEN', 'CLOSED', 'LOGGED_OUT', 'ERROR']).optional(),
          providerServerId: z.uuid().optional(),
        }),
        response: { 200: z.object({ items: z.array(instanceSchema) }) },
      },
    },
    async (request) => ({
      items: (await listInstances(deps, request.principal.tenantId, request.query)).map((row) => instanceView(deps, row)),
    }),
  );

  r.post(
    '/instances',
    {
      config: { permission: 'instances:write' },
      schema: {
        tags,
        summary: 'Create an instance on a provider server, its webhook pointing at the Hub',
        description: 'Provider settings the server cannot honour are listed in `settings.unsupported`; a refusal is in `settings.error`.',
        body: z.object({ providerServerId: z.uuid(), name: instanceName, settings: instanceSettingsSchema.optional() }),
        response: {
          201: z.object({ instance: instanceSchema, settings: z.object({ ...settingsOutcome, error: z.string().nullable() }) }),
        },
      },
    },
    async (request, reply) => {
      const tenantId = request.principal.tenantId;
      const instance = await createInstance(deps, tenantId, request.body, actorOf(request));
      return reply.code(201).send({ instance: await detail(tenantId, instance.id), settings: instance.settingsResult });
    },
  );

  r.post(
    '/instances/sync',
    {
      config: { permission: 'instances:write' },
      schema: {
        tags,
        summary: 'Reconcile instances with their provider servers now',
        description:
          'Known instances get status, number and profile from the provider; missing ones turn ERROR; unknown remote ones are listed for import.',
        body: z.object({ providerServerId: z.uuid().optional() }).optional(),
        response: {
          200: z.object({
            servers: z.array(
              z.object({ providerServerId: z.uuid(), ok: z.boolean(), error: z.string().nullable(), remote: z.number().int() }),
            ),
            updated: z.array(z.uuid()),
            missing: z.array(z.uuid()),
            unknown: z.array(remoteInstanceSchema),
          }),
        },
      },
    },
    async (request) => {
      const result = await syncInstances(
        deps,
        { tenantId: request.principal.tenantId, providerServerId: request.body?.providerServerId },
        actorOf(request),
      );
      return { ...result, unknown: result.unknown.map(({ tenantId: _t, ...remote }) => remote) };
    },
  );

  r.post(
    '/instances/import',
    {
      config: { permission: 'instances:write' },
      schema: {
        tags,
        summary: 'Adopt an instance that exists on a provider server but not in the Hub',
        body: z.object({ providerServerId: z.uuid(), externalName: z.string().min(1).max(200), name: instanceName.optional() }),
        response: { 201: instanceSchema },
      },
    },
    async (request, reply) => {
      const tenantId = request.principal.tenantId;
      const instance = await importInstance(deps, tenantId, request.body, actorOf(request));
      return reply.code(201).send(await detail(tenantId, instance.id));
    },
  );

  r.get(
    '/instances/:id',
    {
      config: { permission: 'instances:read' },
      schema: { tags, summary: 'One instance', params: idParams, response: { 200: instanceSchema } },
    },
    async (request) => detail(request.principal.tenantId, request.params.id),
  );

  r.patch(
    '/instances/:id/settings',
    {
      config: { permission: 'instances:write' },
      schema: {
        tags,
        summary: 'Change behaviour settings; the provider part is applied on the provider first',
        params: idParams,
        body: instanceSettingsSchema,
        response: { 200: z.object({ instance: instanceSchema, ...settingsOutcome }) },
      },
    },
    async (request) => {
      const tenantId = request.principal.tenantId;
      const { instance, applied, unsupported } = await updateInstanceSettings(deps, tenantId, request.params.id, request.body);
      return { instance: await detail(tenantId, instance.id), applied, unsupported };
    },
  );

  r.patch(
    '/instances/:id/lane-policy',
    {
      config: { permission: 'instances:write' },
      schema: {
        tags,
        summary: 'Change retries, exhaustion policy, backoff and send spacing of the instance’s lanes',
        params: idParams,
        body: lanePolicySchema,
        response: { 200: instanceSchema },
      },
    },
    async (request) => {
      const tenantId = request.principal.tenantId;
      await updateLanePolicy(deps, tenantId, request.params.id, request.body);
      return detail(tenantId, request.params.id);
    },
  );

  r.post(
    '/instances/:id/connect',
    {
      config: { permission: 'instances:operate' },
      schema: {
        tags,
        summary: 'Start pairing: a QR code, or with `phone` a pair code to type on the phone',
        params: idParams,
        body: z
          .object({
            phone: z
              .string()
              .regex(/^\+?[\d\s()-]{8,24}$/, 'a phone number with country code')
              .optional(),
          })
          .optional(),
        response: { 200: codesSchema },
      },
    },
    async (request) => (await connectInstance(deps, request.principal.tenantId, request.params.id, request.body ?? {})).codes,
  );

  r.get(
    '/instances/:id/qr',
    {
      config: { permission: 'instances:operate' },
      schema: {
        tags,
        summary: 'The QR or pair code to show now (renewed from the provider when expired)',
        params: idParams,
        response: { 200: codesSchema },
      },
    },
    async (request) => getInstanceCodes(deps, request.principal.tenantId, request.params.id),
  );

  for (const [path, summary, run] of [
    ['refresh', 'Ask the provider for the connection status now', refreshInstanceStatus],
    ['restart', 'Restart the instance on the provider', restartInstance],
    ['disconnect', 'Log the number out (pairing again needs a new QR or pair code)', disconnectInstance],
  ] as const) {
    r.post(
      `/instances/:id/${path}`,
      { config: { permission: 'instances:operate' }, schema: { tags, summary, params: idParams, response: { 200: instanceSchema } } },
      async (request) => {
        const tenantId = request.principal.tenantId;
        await run(deps, tenantId, request.params.id);
        return detail(tenantId, request.params.id);
      },
    );
  }

  r.delete(
    '/instances/:id',
    {
      config: { permission: 'instances:write' },
      schema: {
        tags,
        summary: 'Delete the instance on the provider and here; waiting lane items are cancelled',
        description: 'With `force=true` the instance is deleted here even when the provider cannot be reached.',
        params: idParams,
        querystring: z.object({ force: z.enum(['true', 'false']).optional() }),
        response: { 204: z.null() },
      },
    },
    async (request, reply) => {
      await deleteInstance(
        deps,
        request.principal.tenantId,
        request.params.id,
        { force: request.query.force === 'true' },
        actorOf(request),
      );
      return reply.code(204).send(null);
    },
  );
}
