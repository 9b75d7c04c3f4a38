export * from './chatwoot/index.ts';
export * from './evolution/index.ts';
export type * from './types.ts';
export * from './uazapi/index.ts';
