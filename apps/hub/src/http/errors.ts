import { isAppError } from '@whatpro/platform';
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors, isResponseSerializationError } from 'fastify-type-provider-zod';

/** Every error leaves the Hub as `{ "error": { "code", "message", "details"? } }`, never echoing secrets. */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send({ error: { code: 'NOT_FOUND', message: `no route for ${request.method} ${request.url.split('?')[0]}` } });
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      return reply.code(400).send({
        error: {
          code: 'VALIDATION',
          message: 'request is invalid',
          details: error.validation.map((v) => ({ path: `${error.validationContext ?? 'body'}${v.instancePath}`, message: v.message })),
        },
      });
    }
    if (isAppError(error)) {
      if (error.status >= 500) request.log.error({ err: error }, 'request failed');
      if (error.status === 429 && typeof (error.details as { retryAfterSeconds?: number })?.retryAfterSeconds === 'number') {
        reply.header('retry-after', String((error.details as { retryAfterSeconds: number }).retryAfterSeconds));
      }
      return reply.code(error.status).send({
        error: { code: error.code, message: error.message, ...(error.details === undefined ? {} : { details: error.details }) },
      });
    }
    if (isResponseSerializationError(error)) {
      request.log.error({ err: error }, 'response did not match its schema');
      return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
    }
    // Fastify's own errors (body too large, bad JSON, wrong content type) carry a 4xx statusCode.
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) {
      request.log.error({ err: error }, 'unhandled error');
      return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
    }
    const code =
      status === 413
        ? 'PAYLOAD_TOO_LARGE'
        : status === 415
          ? 'UNSUPPORTED_MEDIA_TYPE'
          : status === 400
            ? 'BAD_REQUEST'
            : (error.code ?? 'ERROR');
    return reply.code(status).send({ error: { code, message: error.message } });
  });
}

export const errorResponseSchemaJson = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;
