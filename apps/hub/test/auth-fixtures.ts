// Shared by the Hub's auth tests: users, tenants and logins through the real API.
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { expect } from 'vitest';

export { capturingLogger, makeTenant, makeUser, PASSWORD, uniq } from '../../../packages/auth/test/helpers.ts';

export interface Login {
  accessToken: string;
  refreshToken: string;
  activeTenantId: string | null;
}

export async function login(app: FastifyInstance, email: string, password: string, ip = '127.0.0.1'): Promise<Login> {
  const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: ip });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Error code of an error response, checking the one error shape on the way. */
export function errorCode(res: LightMyRequestResponse): string {
  const body = res.json();
  expect(Object.keys(body)).toEqual(['error']);
  expect(typeof body.error.message).toBe('string');
  return body.error.code;
}
