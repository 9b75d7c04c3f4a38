// The environment every test process runs with: a database and Redis index of its own, and fixed
// throwaway keys (never used outside tests).
const pgBase = process.env.TEST_PG_URL ?? 'postgresql://postgres@127.0.0.1:5432';

export const testEnv: Record<string, string> = {
  NODE_ENV: 'test',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
  DATABASE_URL: `${pgBase}/${process.env.TEST_DB_NAME ?? 'whatpro_test'}`,
  REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/9',
  REDIS_KEY_PREFIX: 'whatpro-test:',
  SECRET_KEYS: '1:dGVzdC1zZWNyZXQta2V5LTEtLS0tLS0tLS0tLS0tLS0=,2:dGVzdC1zZWNyZXQta2V5LTItLS0tLS0tLS0tLS0tLS0=',
  JWT_KEYS: '1:dGVzdC1qd3Qta2V5LTEtLS0tLS0tLS0tLS0tLS0tLS0=',
  HUB_PUBLIC_URL: 'http://127.0.0.1:4000',
};
