import { defineConfig } from 'prisma/config';

// Used by the Prisma CLI (generate; migrate deploy in production). DATABASE_URL is only needed by
// commands that talk to the database.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://localhost:5432/whatpro' },
});
