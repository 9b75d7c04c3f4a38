// Chatwoot connections (account + user token) and inbox links of the active tenant. Tokens and
// secrets are write-only: responses show them masked, and inbox webhook URLs (which carry the Hub's
// path secret) are never shown.
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { HubDeps } from '../../deps.ts';
import {
  chatwootConnectionDetail,
  createChatwootConnection,
  deleteChatwootConnection,
  getInboxLink,
  linkInbox,
  listChatwootConnections,
  listConnectionInboxes,
  listInboxLinks,
  unlinkInbox,
  updateChatwootConnection,
  updateInboxLink,
} from '../../services/provisioning.ts';
import { connectionSchema, connectionView, inboxSchema, inboxView, linkSchema, linkView } from '../../services/views.ts';
import { actorOf, httpUrl, idParams } from './provider-servers.ts';

const name = z.string().trim().min(1).max(120);
const token = z.string().trim().min(8).max(500);
const accountId = z.number().int().positive();
const signatureMode = z.enum(['SIGNED', 'UNSIGNED']);
const conversationPolicy = z.enum(['REOPEN', 'CREATE_NEW']);

export async function chatwootRoutes(app: FastifyInstance, deps: HubDeps): Promise<void> {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['chatwoot'];

  r.get(
    '/chatwoot/connections',
    {
      config: { permission: 'chatwoot:read' },
      schema: {
        tags,
        summary: 'Chatwoot connections of the active tenant',
        response: { 200: z.object({ items: z.array(connectionSchema) }) },
      },
    },
    async (request) => ({ items: (await listChatwootConnections(deps, request.principal.tenantId)).map((c) => connectionView(deps, c)) }),
  );

  r.post(
    '/chatwoot/connections',
    {
      config: { permission: 'chatwoot:write' },
      schema: {
        tags,
        summary: 'Add a Chatwoot account; the user token is checked (it lists the inboxes) before it is stored',
        body: z.object({ name, baseUrl: httpUrl, accountId, userToken: token }),
        response: { 201: connectionSchema },
      },
    },
    async (request, reply) =>
      reply
        .code(201)
        .send(connectionView(deps, await createChatwootConnection(deps, request.principal.tenantId, request.body, actorOf(request)))),
  );

  r.get(
    '/chatwoot/connections/:id',
    {
      config: { permission: 'chatwoot:read' },
      schema: { tags, summary: 'One Chatwoot connection', params: idParams, response: { 200: connectionSchema } },
    },
    async (request) => connectionView(deps, await chatwootConnectionDetail(deps, request.principal.tenantId, request.params.id)),
  );

  r.patch(
    '/chatwoot/connections/:id',
    {
      config: { permission: 'chatwoot:write' },
      schema: {
        tags,
        summary: 'Rename a connection, or change its URL, account or token (checked before it is stored)',
        params: idParams,
        body: z.object({
          name: name.optional(),
          baseUrl: httpUrl.optional(),
          accountId: accountId.optional(),
          userToken: token.optional(),
        }),
        response: { 200: connectionSchema },
      },
    },
    async (request) =>
      connectionView(
        deps,
        await updateChatwootConnection(deps, request.principal.tenantId, request.params.id, request.body, actorOf(request)),
      ),
  );

  r.delete(
    '/chatwoot/connections/:id',
    {
      config: { permission: 'chatwoot:write' },
      schema: { tags, summary: 'Remove a connection that links no inbox', params: idParams, response: { 204: z.null() } },
    },
    async (request, reply) => {
      await deleteChatwootConnection(deps, request.principal.tenantId, request.params.id, actorOf(request));
      return reply.code(204).send(null);
    },
  );

  r.get(
    '/chatwoot/connections/:id/inboxes',
    {
      config: { permission: 'chatwoot:read' },
      schema: {
        tags,
        summary: 'The account’s inboxes, each with the instance it is linked to',
        params: idParams,
        response: { 200: z.object({ items: z.array(inboxSchema) }) },
      },
    },
    async (request) => ({
      items: (await listConnectionInboxes(deps, request.principal.tenantId, request.params.id)).map((entry) => inboxView(deps, entry)),
    }),
  );

  r.get(
    '/chatwoot/links',
    {
      config: { permission: 'chatwoot:read' },
      schema: {
        tags,
        summary: 'Inbox links of the active tenant',
        querystring: z.object({ chatwootConnectionId: z.uuid().optional() }),
        response: { 200: z.object({ items: z.array(linkSchema) }) },
      },
    },
    async (request) => ({ items: (await listInboxLinks(deps, request.principal.tenantId, request.query)).map((l) => linkView(deps, l)) }),
  );

  r.post(
    '/chatwoot/links',
    {
      config: { permission: 'chatwoot:write' },
      schema: {
        tags,
        summary: 'Link an instance to a Chatwoot API inbox: an existing one (`inboxId`) or a new one (`createInbox`)',
        description:
          'The inbox webhook is pointed at the Hub with a path secret of the link’s own. SIGNED links need the inbox’s signing secret: read from Chatwoot when the token can see it, else give `signingSecret`.',
        body: z.object({
          instanceId: z.uuid(),
          chatwootConnectionId: z.uuid(),
          inboxId: z.number().int().positive().optional(),
          createInbox: z.object({ name }).optional(),
          signatureMode: signatureMode.default('SIGNED'),
          signingSecret: token.optional(),
          conversationPolicy: conversationPolicy.optional(),
          conversationPending: z.boolean().optional(),
        }),
        response: { 201: linkSchema },
      },
    },
    async (request, reply) =>
      reply.code(201).send(linkView(deps, await linkInbox(deps, request.principal.tenantId, request.body, actorOf(request)))),
  );

  r.get(
    '/chatwoot/links/:id',
    {
      config: { permission: 'chatwoot:read' },
      schema: { tags, summary: 'One inbox link', params: idParams, response: { 200: linkSchema } },
    },
    async (request) => linkView(deps, await getInboxLink(deps, request.principal.tenantId, request.params.id)),
  );

  r.patch(
    '/chatwoot/links/:id',
    {
      config: { permission: 'chatwoot:write' },
      schema: {
        tags,
        summary: 'Change a link’s signature mode, signing secret or conversation policy',
        params: idParams,
        body: z.object({
          signatureMode: signatureMode.optional(),
          signingSecret: token.optional(),
          conversationPolicy: conversationPolicy.optional(),
          conversationPending: z.boolean().optional(),
        }),
        response: { 200: linkSchema },
      },
    },
    async (request) =>
      linkView(deps, await updateInboxLink(deps, request.principal.tenantId, request.params.id, request.body, actorOf(request))),
  );

  r.delete(
    '/chatwoot/links/:id',
    {
      config: { permission: 'chatwoot:write' },
      schema: { tags, summary: 'Unlink: the inbox’s webhook calls are refused from now on', params: idParams, response: { 204: z.null() } },
    },
    async (request, reply) => {
      await unlinkInbox(deps, request.principal.tenantId, request.params.id, actorOf(request));
      return reply.code(204).send(null);
    },
  );
}
