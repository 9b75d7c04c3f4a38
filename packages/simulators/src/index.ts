export type * from './types.ts';
export * from './chatwoot/index.ts';
