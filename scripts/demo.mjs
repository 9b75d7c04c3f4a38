#!/usr/bin/env node
// `npm run demo`: the whole product on this machine, with simulated Uazapi, Evolution and Chatwoot.
// Thin launcher: it generates the Prisma client (a fresh clone has none), then runs
// apps/hub/scripts/demo.ts through tsx.
import { spawn, spawnSync } from 'node:child_process';

const generate = spawnSync('npm', ['run', '-s', 'db:generate'], { stdio: ['ignore', 'ignore', 'inherit'] });
if (generate.status !== 0) process.exit(generate.status ?? 1);

const child = spawn(process.execPath, ['--no-warnings', '--import', 'tsx', 'apps/hub/scripts/demo.ts', ...process.argv.slice(2)], {
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
