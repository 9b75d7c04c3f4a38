export * from './errors.ts';
export * from './http.ts';
export * from './parse.ts';
