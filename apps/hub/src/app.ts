import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { HubDeps } from './deps.ts';
import { registerApi } from './http/api.ts';
import { registerErrorHandling } from './http/errors.ts';
import { registerHealth } from './http/health.ts';
import { registerAuthz } from './http/plugins/authz.ts';
import { registerChatwootWebhook } from './webhooks/chatwoot-intake.ts';
import { registerProviderWebhooks } from './webhooks/provider-intake.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without a token (health, login, webhooks with their own authentication). */
    public?: boolean;
  }
}

export interface BuildAppOptions {
  /** Skip the webhook and API routes (worker-only processes still answer health checks). */
  healthOnly?: boolean;
}

export async function buildApp(deps: HubDeps, options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // Request ids come from the caller when it sends one (tracing across Manager → Hub), else are made here.
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w-]{1,64}$/.test(given) ? given : randomUUID();
    },
    requestIdHeader: false,
    bodyLimit: deps.env.WEBHOOK_BODY_LIMIT_BYTES,
    trustProxy: true,
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // On shutdown, requests still in flight finish, but their keep-alive connections must not hold the
  // server open until the keep-alive timeout: answer them with `Connection: close`.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (closing) reply.header('connection', 'close');
  });
  registerErrorHandling(app);
  // Before any route: every route declares public or a permission, and every request is checked.
  registerAuthz(app, deps);

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'WhatPro Hub API', version: '1.0.0', description: 'WhatsApp (Uazapi GO, Evolution API) ↔ Chatwoot hub.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });

  registerHealth(app, deps);
  if (!options.healthOnly) {
    registerProviderWebhooks(app, deps);
    registerChatwootWebhook(app, deps);
    await registerApi(app, deps);
  }
  app.get('/api/v1/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  await app.ready();
  return app;
}
