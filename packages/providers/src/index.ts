export * from './errors.ts';
export * from './evolution/index.ts';
export * from './factory.ts';
export * from './http.ts';
export * from './parse.ts';
export * from './uazapi/index.ts';
