export * from './adapter.ts';
export { connectionStateOf, parseUazapiWebhook, type UazapiWebhookOptions, vcardPhones } from './webhook.ts';
