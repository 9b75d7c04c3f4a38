// Fails closed: a query on a tenant-owned model (any model with a `tenantId` column) that does not say
// which tenant it means throws before it reaches the database. Platform-admin and worker paths that
// legitimately cross tenants use `db.$unguarded('reason')`, which is easy to grep for and review.
export class TenantGuardError extends Error {
  readonly code = 'TENANT_GUARD';
  constructor(model: string, operation: string, detail: string) {
    super(`tenant guard: ${model}.${operation} ${detail}`);
    this.name = 'TenantGuardError';
  }
}

type Field = { name: string; kind: string; type: string };
export type RuntimeModels = Record<string, { fields: Field[] }>;

export interface ModelInfo {
  tenantOwned: Set<string>;
  // model → relation field → target model
  relations: Map<string, Map<string, string>>;
}

export function modelInfoFrom(models: RuntimeModels): ModelInfo {
  const tenantOwned = new Set<string>();
  const relations = new Map<string, Map<string, string>>();
  for (const [name, model] of Object.entries(models)) {
    if (model.fields.some((f) => f.name === 'tenantId' && f.kind === 'scalar')) tenantOwned.add(name);
    relations.set(name, new Map(model.fields.filter((f) => f.kind === 'object').map((f) => [f.name, f.type])));
  }
  return { tenantOwned, relations };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

// A tenant condition is a concrete value (or `equals`/`in`), directly or inside an AND.
function constrainsTenant(where: unknown): boolean {
  if (!isObj(where)) return false;
  const t = where.tenantId;
  if (typeof t === 'string' || t === null) return true;
  if (isObj(t)) {
    if (typeof t.equals === 'string') return true;
    if (Array.isArray(t.in) && t.in.length > 0 && t.in.every((x) => typeof x === 'string')) return true;
  }
  if (isObj(where.tenant) && isObj(where.tenant.is) ? constrainsId(where.tenant.is) : constrainsId(where.tenant)) return true;
  const and = where.AND;
  if (Array.isArray(and)) return and.some(constrainsTenant);
  if (isObj(and)) return constrainsTenant(and);
  return false;
}

function constrainsId(where: unknown): boolean {
  return isObj(where) && typeof where.id === 'string';
}

function dataHasTenant(data: unknown): boolean {
  if (!isObj(data)) return false;
  if (typeof data.tenantId === 'string' || data.tenantId === null) return true;
  return isObj(data.tenant) && isObj(data.tenant.connect) && typeof data.tenant.connect.id === 'string';
}

const READ_OPS = new Set([
  'findUnique',
  'findUniqueOrThrow',
  'findFirst',
  'findFirstOrThrow',
  'findMany',
  'count',
  'aggregate',
  'groupBy',
  'update',
  'updateMany',
  'updateManyAndReturn',
  'delete',
  'deleteMany',
]);

export function checkQuery(info: ModelInfo, model: string, operation: string, args: unknown): void {
  const a = isObj(args) ? args : {};
  if (info.tenantOwned.has(model)) {
    if (READ_OPS.has(operation) && !constrainsTenant(a.where)) {
      throw new TenantGuardError(model, operation, 'has no tenantId condition in `where`');
    }
    if (operation === 'create' && !dataHasTenant(a.data)) {
      throw new TenantGuardError(model, operation, 'has no tenantId in `data`');
    }
    if (operation === 'createMany' || operation === 'createManyAndReturn') {
      const rows = Array.isArray(a.data) ? a.data : [a.data];
      if (!rows.every(dataHasTenant)) throw new TenantGuardError(model, operation, 'has a row without tenantId');
    }
    if (operation === 'upsert') {
      if (!constrainsTenant(a.where)) throw new TenantGuardError(model, operation, 'has no tenantId condition in `where`');
      if (!dataHasTenant(a.create)) throw new TenantGuardError(model, operation, 'has no tenantId in `create`');
    }
  }
  // Nested writes: a tenant-owned child reached through a relation must carry its tenant too, unless
  // the parent is the Tenant itself (then the relation is the tenant condition).
  if (model !== 'Tenant') {
    for (const key of ['data', 'create', 'update'] as const) checkNested(info, model, a[key]);
  }
}

const NESTED_CREATE = ['create', 'connectOrCreate', 'upsert'];
const NESTED_FILTERED = ['updateMany', 'deleteMany'];

function checkNested(info: ModelInfo, model: string, data: unknown): void {
  if (!isObj(data)) return;
  const relations = info.relations.get(model);
  if (!relations) return;
  for (const [field, value] of Object.entries(data)) {
    const target = relations.get(field);
    if (!target || !isObj(value)) continue;
    if (info.tenantOwned.has(target) && target !== 'Tenant') {
      for (const op of NESTED_CREATE) {
        const payload = value[op];
        if (payload === undefined) continue;
        for (const row of Array.isArray(payload) ? payload : [payload]) {
          const created = op === 'create' ? row : isObj(row) ? row.create : undefined;
          if (!dataHasTenant(created)) throw new TenantGuardError(model, `${field}.${op}`, 'nested write has no tenantId');
        }
      }
      if (isObj(value.createMany)) {
        const rows = value.createMany.data;
        if (!(Array.isArray(rows) ? rows : [rows]).every(dataHasTenant)) {
          throw new TenantGuardError(model, `${field}.createMany`, 'nested write has a row without tenantId');
        }
      }
      for (const op of NESTED_FILTERED) {
        const payload = value[op];
        if (payload === undefined) continue;
        for (const row of Array.isArray(payload) ? payload : [payload]) {
          const where = op === 'deleteMany' ? row : isObj(row) ? row.where : undefined;
          if (!constrainsTenant(where)) throw new TenantGuardError(model, `${field}.${op}`, 'nested write has no tenantId condition');
        }
      }
    }
    for (const op of ['create', 'update', 'upsert']) {
      const payload = value[op];
      for (const row of Array.isArray(payload) ? payload : payload === undefined ? [] : [payload]) {
        if (!isObj(row)) continue;
        checkNested(info, target, op === 'create' ? row : (row.data ?? row.create ?? row));
        if (op === 'upsert') checkNested(info, target, row.update);
      }
    }
  }
}
