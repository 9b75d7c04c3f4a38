export type { WebhookConfig as UazapiWebhookConfig } from './payloads.ts';
export { startUazapiSimulator, type UazapiSimulator, type UazapiSimulatorOptions, UazapiSimulatorServer } from './simulator.ts';
