export * from './events.ts';
export * from './identity.ts';
export * from './provider-port.ts';
