// Validates requests the Uazapi adapter sent (as the simulator recorded them) against the vendor's
// OpenAPI 3.1 document (`uazapi-openapi.resolved.json`): the operation exists, the credential header the
// operation's security names is present, and the JSON body matches the request schema (JSON Schema
// 2020-12). Where uazapi.md shows the spec is wrong or incomplete, the exception is listed by name.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { RecordedRequest } from '@whatpro/simulators';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { UAZAPI_CONTRACTS } from './uazapi-fixtures.ts';

interface Operation {
  security?: Record<string, string[]>[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: unknown }> };
}
interface Document {
  paths: Record<string, Record<string, Operation>>;
  security: Record<string, string[]>[];
  components: { securitySchemes: Record<string, { name: string; in: string }> };
}

/** Requests the adapter may send that the spec does not describe, with the reason (uazapi.md). */
export const SPEC_EXCEPTIONS: { method: string; path: string | RegExp; reason: string }[] = [
  {
    method: 'POST',
    path: '/instance/init',
    reason: 'older builds create instances here instead of /instance/create (uazapi.md §b, S2 spec; verified live on wsmart 2026-04)',
  },
  {
    method: 'GET',
    path: /^\/files\//,
    reason:
      'the public storage link /message/download returns (`fileURL`); not an API route, fetched without credentials (uazapi.md §c, §d.3)',
  },
];

export class UazapiOpenApi {
  private readonly doc: Document;
  private readonly ajv: Ajv2020;
  private readonly validators = new Map<string, ValidateFunction>();

  constructor() {
    this.doc = JSON.parse(readFileSync(path.join(UAZAPI_CONTRACTS, 'openapi', 'uazapi-openapi.resolved.json'), 'utf8')) as Document;
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addSchema(this.doc as unknown as object, 'uazapi');
  }

  exception(req: RecordedRequest) {
    return SPEC_EXCEPTIONS.find(
      (e) => e.method === req.method && (typeof e.path === 'string' ? e.path === req.path : e.path.test(req.path)),
    );
  }

  /** Problems with one request; empty when the spec accepts it. */
  check(req: RecordedRequest): string[] {
    if (this.exception(req)) return [];
    const where = `${req.method} ${req.path}`;
    const op = this.doc.paths[req.path]?.[req.method.toLowerCase()];
    if (!op) return [`${where}: no such operation in the spec`];
    const problems: string[] = [];

    const security = op.security ?? this.doc.security;
    const satisfied = security.some((alt) =>
      Object.keys(alt).every((scheme) => {
        const s = this.doc.components.securitySchemes[scheme];
        return s?.in === 'header' && typeof req.headers[s.name.toLowerCase()] === 'string' && req.headers[s.name.toLowerCase()] !== '';
      }),
    );
    if (!satisfied) problems.push(`${where}: missing credential header (${security.map((a) => Object.keys(a).join('+')).join(' or ')})`);

    const schema = op.requestBody?.content?.['application/json']?.schema;
    if (req.body !== undefined && !schema) problems.push(`${where}: sends a body the spec does not define`);
    if (req.body === undefined && op.requestBody?.required) problems.push(`${where}: body required`);
    if (schema && req.body !== undefined) {
      const validate = this.validator(req.path, req.method.toLowerCase());
      if (!validate(req.body)) {
        problems.push(...(validate.errors ?? []).map((e) => `${where}: body${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`));
      }
    }
    return problems;
  }

  private validator(p: string, method: string): ValidateFunction {
    const key = `${method} ${p}`;
    let v = this.validators.get(key);
    if (!v) {
      const pointer = `/paths/${p.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/requestBody/content/application~1json/schema`;
      v = this.ajv.compile({ $ref: `uazapi#${pointer}` });
      this.validators.set(key, v);
    }
    return v;
  }
}
