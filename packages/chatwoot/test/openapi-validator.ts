// Checks requests the client sent (as the simulator recorded them) against Chatwoot's own OpenAPI 3.1
// documents: the Application API and the public Client API. The only operations validated against
// something else are the ones chatwoot.md §0 lists as present in the code but missing from the
// v4.15.1 swagger; each is named below with its own schema taken from the contract.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import $RefParser from '@apidevtools/json-schema-ref-parser';
import type { CwRecordedRequest } from '@whatpro/simulators';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const here = path.dirname(fileURLToPath(import.meta.url));
export const CONTRACTS = path.resolve(here, '../../../../shared/contracts/chatwoot');

type Schema = Record<string, unknown>;
interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema?: Schema }> };
  security?: Record<string, string[]>[];
}
interface Document {
  paths: Record<string, Record<string, unknown> & { parameters?: Parameter[] }>;
  security?: Record<string, string[]>[];
  components?: { securitySchemes?: Record<string, { type: string; in?: string; name?: string }> };
}

/** Operations the v4.15.1 swagger lacks (chatwoot.md §0), with the body chatwoot.md documents. */
export const UNDOCUMENTED_OPERATIONS: { method: string; template: string; reason: string; body: Schema }[] = [
  {
    method: 'POST',
    template: '/api/v1/accounts/{account_id}/contact_inboxes/filter',
    reason: 'contact_inboxes#filter exists since v3.2.0 but is not in the swagger (chatwoot.md §0, §3.1)',
    body: {
      type: 'object',
      required: ['inbox_id', 'source_id'],
      properties: { inbox_id: { type: 'integer' }, source_id: { type: 'string', minLength: 1 } },
      additionalProperties: false,
    },
  },
  {
    method: 'PATCH',
    template: '/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages/{message_id}',
    reason: 'message status update (PR #11387, v4.2+) is documented only after v4.15.1 (#15469; chatwoot.md §3.3)',
    body: {
      type: 'object',
      required: ['status'],
      properties: { status: { enum: ['sent', 'delivered', 'read', 'failed'] }, external_error: { type: 'string' } },
      additionalProperties: false,
    },
  },
];

interface Route {
  template: string;
  regex: RegExp;
  names: string[];
  doc: Document;
  item: Document['paths'][string];
}

export interface ValidationResult {
  /** `METHOD template` of the operation the request matched, when it matched one. */
  operation: string | null;
  errors: string[];
}

function compileRoute(template: string, doc: Document, item: Route['item']): Route {
  const names: string[] = [];
  const pattern = template.replace(/\{([^}]+)\}/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { template, regex: new RegExp(`^${pattern}$`), names, doc, item };
}

/** Turns a form or query string into the type its schema asks for, as OpenAPI serialisation defines. */
function coerce(value: string, schema: Schema | undefined): unknown {
  const type = schema?.type;
  if (type === 'integer' || type === 'number') return value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value;
  if (type === 'boolean') return value === 'true' ? true : value === 'false' ? false : value;
  if (type === 'object' || type === 'array') {
    try {
      return JSON.parse(value);
    } catch {
      return value;
    }
  }
  return value;
}

export class ChatwootRequestValidator {
  readonly #routes: Route[];
  readonly #ajv: Ajv2020;
  readonly #compiled = new WeakMap<object, ValidateFunction>();

  private constructor(routes: Route[]) {
    this.#routes = routes;
    this.#ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats(this.#ajv);
    this.#ajv.addFormat('binary', true);
  }

  static async load(): Promise<ChatwootRequestValidator> {
    const routes: Route[] = [];
    for (const file of ['chatwoot-application-swagger.json', 'chatwoot-client-swagger.json']) {
      const doc = (await $RefParser.dereference(path.join(CONTRACTS, 'openapi', file), {
        dereference: { circular: 'ignore' },
      })) as unknown as Document;
      for (const [template, item] of Object.entries(doc.paths)) routes.push(compileRoute(template, doc, item));
    }
    // Literal segments win over parameters (`/contacts/filter` before `/contacts/{id}`).
    routes.sort((a, b) => a.names.length - b.names.length || b.template.length - a.template.length);
    return new ChatwootRequestValidator(routes);
  }

  #validator(schema: Schema): ValidateFunction {
    let fn = this.#compiled.get(schema);
    if (!fn) {
      fn = this.#ajv.compile(schema);
      this.#compiled.set(schema, fn);
    }
    return fn;
  }

  #check(schema: Schema, value: unknown, where: string, errors: string[]): void {
    const fn = this.#validator(schema);
    if (!fn(value)) for (const e of fn.errors ?? []) errors.push(`${where}${e.instancePath} ${e.message}`);
  }

  validate(req: CwRecordedRequest): ValidationResult {
    const errors: string[] = [];
    const method = req.method.toUpperCase();
    const undocumented = UNDOCUMENTED_OPERATIONS.find(
      (u) => u.method === method && compileRoute(u.template, { paths: {} }, {}).regex.test(req.path),
    );
    if (undocumented) {
      if (req.headers.api_access_token === undefined) errors.push('missing api_access_token header');
      if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) errors.push('body is not JSON');
      this.#check(undocumented.body, req.body, 'body', errors);
      return { operation: `${method} ${undocumented.template} (undocumented)`, errors };
    }

    const candidates = this.#routes.filter((r) => r.regex.test(req.path));
    const route = candidates.find((r) => method.toLowerCase() in r.item);
    if (!route) return { operation: null, errors: [`${method} ${req.path} matches no operation in Chatwoot's OpenAPI documents`] };
    const operation = route.item[method.toLowerCase()] as Operation;
    const name = `${method} ${route.template}`;

    // Parameters: path-level ones, overridden by operation-level ones of the same name and place.
    const params = new Map<string, Parameter>();
    for (const p of [...(route.item.parameters ?? []), ...(operation.parameters ?? [])]) params.set(`${p.in}:${p.name}`, p);
    const values = route.regex.exec(req.path)?.slice(1) ?? [];
    route.names.forEach((n, i) => {
      const p = params.get(`path:${n}`);
      if (p?.schema) this.#check(p.schema, coerce(decodeURIComponent(values[i] ?? ''), p.schema), `path ${n}`, errors);
    });
    for (const p of params.values()) {
      if (p.in !== 'query') continue;
      const value = req.query[p.name];
      if (value === undefined) {
        if (p.required) errors.push(`query ${p.name} is required`);
        continue;
      }
      if (p.schema) this.#check(p.schema, coerce(value, p.schema), `query ${p.name}`, errors);
    }

    // Security: the user token where the operation asks for it, and never on a public endpoint.
    const security = operation.security ?? route.doc.security ?? [];
    const schemes = route.doc.components?.securitySchemes ?? {};
    const headerNames = security.flatMap((alt) => Object.keys(alt).map((k) => schemes[k]?.name));
    if (security.length > 0 && !headerNames.some((h) => h && req.headers[h.toLowerCase()] !== undefined)) {
      errors.push(`missing ${headerNames.join(' or ')} header`);
    }
    if (security.length === 0 && req.headers.api_access_token !== undefined) errors.push('sends the user token to a public endpoint');

    // Body.
    const hasBody = req.body !== null && req.body !== undefined && req.body !== '';
    const declared = operation.requestBody;
    if (!declared) {
      if (hasBody) errors.push('sends a body to an operation that takes none');
      return { operation: name, errors };
    }
    if (!hasBody) {
      if (declared.required) errors.push('request body is required');
      return { operation: name, errors };
    }
    const mediaType = String(req.headers['content-type'] ?? '')
      .split(';')[0]
      ?.trim();
    const media = mediaType ? declared.content[mediaType] : undefined;
    if (!media?.schema) {
      errors.push(`content type ${mediaType || '(none)'} not accepted; allowed: ${Object.keys(declared.content).join(', ')}`);
      return { operation: name, errors };
    }
    if (mediaType === 'multipart/form-data') {
      const props = (media.schema.properties ?? {}) as Record<string, Schema>;
      const form: Record<string, unknown> = {};
      for (const [field, value] of Object.entries(req.multipart?.fields ?? {})) form[field] = coerce(value, props[field]);
      for (const file of req.multipart?.files ?? []) {
        const isArray = props[file.field]?.type === 'array';
        if (isArray) form[file.field] = [...((form[file.field] as string[] | undefined) ?? []), file.fileName];
        else form[file.field] = file.fileName;
      }
      this.#check(media.schema, form, 'form', errors);
    } else {
      this.#check(media.schema, req.body, 'body', errors);
    }
    return { operation: name, errors };
  }
}
