import { startEvolutionSimulator } from '@whatpro/simulators';
import { createEvolutionAdapter } from '../src/evolution/adapter.ts';
import { describeAdapterContract } from './contract-suite.ts';

describeAdapterContract('Evolution', async () => {
  const sim = await startEvolutionSimulator({ qrRotateMs: 150, webhookRetry: { attempts: 3, baseDelayMs: 20 }, maxDelayMs: 20 });
  const make = (timeoutMs: number) =>
    createEvolutionAdapter({ baseUrl: sim.baseUrl, adminToken: sim.adminToken, timeoutMs, pairCodeWait: { attempts: 2, intervalMs: 20 } });
  return { adapter: make(5000), sim, withTimeout: make, close: () => sim.close() };
});
