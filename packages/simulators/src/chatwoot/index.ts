export { ChatwootSimulator, startChatwootSimulator } from './server.ts';
export type * from './types.ts';
