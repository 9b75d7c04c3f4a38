export { createDb, createPrismaClient, type Db, type DbOptions, guardTenants } from './client.ts';
export * from './generated/client.ts';
export { dropDatabase, migrateDatabase, recreateDatabase } from './maintenance.ts';
export { TenantGuardError } from './tenant-guard.ts';
