// One entry point for the Hub: the provider kind stored on an instance picks the adapter.
import type { ProviderAdapter, ProviderKind } from '@whatpro/domain';
import { createEvolutionAdapter } from './evolution/adapter.ts';
import { createUazapiAdapter } from './uazapi/adapter.ts';

export interface ProviderServerOptions {
  baseUrl: string;
  /** Uazapi server admin token, or Evolution global API key. */
  adminToken: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export function createProviderAdapter(kind: ProviderKind, options: ProviderServerOptions): ProviderAdapter {
  switch (kind) {
    case 'uazapi':
      return createUazapiAdapter(options);
    case 'evolution':
      return createEvolutionAdapter(options);
  }
}
