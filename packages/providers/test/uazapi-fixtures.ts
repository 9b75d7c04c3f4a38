// The captured and reconstructed Uazapi payloads live outside the repo, beside it
// (`../shared/contracts/uazapi/`, see its README); tests read them from there, never copies.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const UAZAPI_CONTRACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/contracts/uazapi');

export function uazapiFixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(path.join(UAZAPI_CONTRACTS, 'fixtures', name), 'utf8')) as T;
}
