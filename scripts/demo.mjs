#!/usr/bin/env node
// `npm run demo`: the whole product on this machine, with simulated Uazapi, Evolution and Chatwoot.
// Thin launcher: the work is in apps/hub/scripts/demo.ts (TypeScript, run through tsx).
import { spawn } from 'node:child_process';

const child = spawn(process.execPath, ['--no-warnings', '--import', 'tsx', 'apps/hub/scripts/demo.ts', ...process.argv.slice(2)], {
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
