import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/client.ts';
import { checkQuery, modelInfoFrom, type RuntimeModels } from './tenant-guard.ts';

export interface DbOptions {
  url: string;
  /** Pool size per process. */
  max?: number;
  /** How long a query waits for a free pooled connection before failing. */
  connectionTimeoutMs?: number;
}

export function createPrismaClient(options: DbOptions): PrismaClient {
  return new PrismaClient({
    // A bounded wait for a pooled connection: an exhausted pool fails a request instead of hanging it.
    adapter: new PrismaPg({
      connectionString: options.url,
      max: options.max ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
    }),
  });
}

/**
 * The client the product uses: every query on a tenant-owned model must name its tenant.
 * `$unguarded(reason)` returns the raw client for platform-admin and worker paths; the reason is
 * there for the reader (and for grep), not for the machine.
 */
export function guardTenants(raw: PrismaClient) {
  const models = (raw as unknown as { _runtimeDataModel: { models: RuntimeModels } })._runtimeDataModel.models;
  const info = modelInfoFrom(models);
  return raw.$extends({
    name: 'tenant-guard',
    client: {
      $unguarded(_reason: string): PrismaClient {
        return raw;
      },
    },
    query: {
      $allModels: {
        async $allOperations({ model, operation, args, query }) {
          checkQuery(info, model, operation, args);
          return query(args);
        },
      },
    },
  });
}

export function createDb(options: DbOptions) {
  return guardTenants(createPrismaClient(options));
}

export type Db = ReturnType<typeof createDb>;
