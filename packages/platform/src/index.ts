export * from './env.ts';
export * from './errors.ts';
export * from './logger.ts';
export * from './mask.ts';
export * from './redis.ts';
export * from './secret-box.ts';
