// Provider servers (Uazapi admin token, Evolution global API key) of the active tenant. The credential
// is write-only: responses show it masked.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HubDeps } from '../../deps.ts';
import {
  createProviderServer,
  deleteProviderServer,
  listProviderServers,
  providerServerDetail,
  updateProviderServer,
} from '../../services/provisioning.ts';
import { providerServerSchema, providerServerView } from '../../services/views.ts';
import { requestMeta } from '../plugins/authz.ts';

export const idParams = z.object({ id: z.uuid() });
export const httpUrl = z.url({ protocol: /^https?$/ }).max(500);
const name = z.string().trim().min(1).max(120);
const secretInput = z.string().trim().min(4).max(1000);

export function actorOf(request: { principal: { userId: string } } & Parameters<typeof requestMeta>[0]) {
  return { userId: request.principal.userId, ip: requestMeta(request).ip };
}

export async function providerServerRoutes(app: FastifyInstance, deps: HubDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['provider servers'];

  r.get(
    '/provider-servers',
    {
      config: { permission: 'providers:read' },
      schema: {
        tags,
        summary: 'Provider servers of the active tenant',
        response: { 200: z.object({ items: z.array(providerServerSchema) }) },
      },
    },
    async (request) => ({ items: (await listProviderServers(deps, request.principal.tenantId)).map((s) => providerServerView(deps, s)) }),
  );

  r.post(
    '/provider-servers',
    {
      config: { permission: 'providers:write' },
      schema: {
        tags,
        summary: 'Add a provider server; its admin token is checked with a cheap call before it is stored',
        body: z.object({ provider: z.enum(['UAZAPI', 'EVOLUTION']), name, baseUrl: httpUrl, adminToken: secretInput }),
        response: { 201: providerServerSchema },
      },
    },
    async (request, reply) => {
      const server = await createProviderServer(deps, request.principal.tenantId, request.body, actorOf(request));
      return reply.code(201).send(providerServerView(deps, server));
    },
  );

  r.get(
    '/provider-servers/:id',
    {
      config: { permission: 'providers:read' },
      schema: { tags, summary: 'One provider server', params: idParams, response: { 200: providerServerSchema } },
    },
    async (request) => providerServerView(deps, await providerServerDetail(deps, request.principal.tenantId, request.params.id)),
  );

  r.patch(
    '/provider-servers/:id',
    {
      config: { permission: 'providers:write' },
      schema: {
        tags,
        summary: 'Rename a provider server, move it or replace its admin token (checked before it is stored)',
        params: idParams,
        body: z.object({ name: name.optional(), baseUrl: httpUrl.optional(), adminToken: secretInput.optional() }),
        response: { 200: providerServerSchema },
      },
    },
    async (request) =>
      providerServerView(
        deps,
        await updateProviderServer(deps, request.principal.tenantId, request.params.id, request.body, actorOf(request)),
      ),
  );

  r.delete(
    '/provider-servers/:id',
    {
      config: { permission: 'providers:write' },
      schema: { tags, summary: 'Remove a provider server that no instance uses', params: idParams, response: { 204: z.null() } },
    },
    async (request, reply) => {
      await deleteProviderServer(deps, request.principal.tenantId, request.params.id, actorOf(request));
      return reply.code(204).send(null);
    },
  );
}
