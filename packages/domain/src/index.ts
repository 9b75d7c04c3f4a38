export * from './echo.ts';
export * from './events.ts';
export * from './identity.ts';
export * from './inbound-render.ts';
export * from './markdown.ts';
export * from './outbound-plan.ts';
export * from './provider-port.ts';
export * from './settings.ts';
