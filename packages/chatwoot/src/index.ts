export * from './client.ts';
export * from './errors.ts';
export { type ChatwootTransportOptions, retryAfterMs } from './http.ts';
export * from './media.ts';
export * from './schemas.ts';
export * from './signature.ts';
export * from './webhook.ts';
