#!/usr/bin/env node
// `npm test`: generates what must be generated, prepares its own database (vitest's global setup) and
// runs every test with coverage; ends with a plain "N passed, N failed" line.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';

const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { stdio: 'inherit', ...opts }).status ?? 1;

if (run('npm', ['run', '-s', 'db:generate'], { stdio: ['ignore', 'ignore', 'inherit'] }) !== 0) process.exit(1);

mkdirSync('test-results', { recursive: true });
const args = process.argv.slice(2);
const status = run('npx', [
  'vitest',
  'run',
  '--coverage',
  '--reporter=default',
  '--reporter=json',
  '--outputFile.json=test-results/vitest.json',
  ...args,
]);

let passed = 0;
let failed = 0;
try {
  const report = JSON.parse(readFileSync('test-results/vitest.json', 'utf8'));
  passed = report.numPassedTests;
  failed = report.numFailedTests + (report.numRuntimeErrorTestSuites ?? 0);
  if (status !== 0 && failed === 0) failed = report.numFailedTestSuites || 1;
} catch {
  failed = Math.max(failed, 1);
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(status === 0 && failed === 0 ? 0 : 1);
