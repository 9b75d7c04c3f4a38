export * from './adapter.ts';
export { parseEvolutionWebhook } from './webhook.ts';
