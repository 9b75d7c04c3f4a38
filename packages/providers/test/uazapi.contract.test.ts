import { startUazapiSimulator } from '@whatpro/simulators';
import { createUazapiAdapter } from '../src/uazapi/adapter.ts';
import { describeAdapterContract } from './contract-suite.ts';

describeAdapterContract('Uazapi', async () => {
  const sim = await startUazapiSimulator({ qrRotateMs: 150, webhookRetryDelayMs: 20 });
  const make = (timeoutMs: number) =>
    createUazapiAdapter({ baseUrl: sim.baseUrl, adminToken: sim.adminToken, timeoutMs, pairRetryDelayMs: 20 });
  return { adapter: make(5000), sim, withTimeout: make, close: () => sim.close() };
});
