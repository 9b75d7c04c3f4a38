// Issue 7: a worker killed between the provider call and its record must not make a duplicate once
// the provider's echo arrives — on both providers (track id on Uazapi, fingerprint on Evolution).
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conversationFor, type ProviderName, publicMessages, type Stack, sleep, startStack, waitFor } from './harness.ts';

const hubDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const children: ChildProcess[] = [];

function spawnWorker(stack: Stack): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--no-warnings', '--import', 'tsx', 'test/e2e/worker-process.ts'], {
    cwd: hubDir,
    env: {
      ...process.env,
      HUB_PUBLIC_URL: stack.hubUrl,
      WORKER_ID: 'doomed',
      WORKER_TENANT_ID: stack.tenantId,
      WORKER_LEASE_MS: '4000',
      LOG_LEVEL: 'silent',
    },
    // stdin stays open while the test runs: the worker exits when it closes, so no run leaves one behind.
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      if (String(chunk).includes('worker ready')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`worker exited early (${code})`)));
  });
}

describe.each<ProviderName>(['uazapi', 'evolution'])('worker killed mid-send on %s', (provider) => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(provider, { noWorker: true });
  }, 60_000);
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await stack?.close();
  });

  it('sends once: the echo settles the unknown outcome before anything is resent', async () => {
    // The conversation exists first (inbound needs a worker too: the doomed one handles it).
    const doomed = await spawnWorker(stack);
    await stack.sim.receive(stack.instanceName, { from: '+5511965430001', text: 'oi' });
    const conv = await conversationFor(stack, '5511965430001');
    await waitFor(() => publicMessages(stack, conv.id).length === 1, 'the contact message');

    // The provider takes its time answering the send: long enough to kill the worker after the
    // provider has the message and before the worker can record it.
    stack.sim.setLatency(1500);
    await stack.chatwoot.agentReply(conv.id, { content: 'enviada uma vez só' });
    await waitFor(
      () => stack.sim.requests({ method: 'POST' }).some((r) => JSON.stringify(r.body).includes('enviada uma vez só')),
      'the send to reach the provider',
      30_000,
    );
    doomed.kill('SIGKILL');
    stack.sim.setLatency(0);

    // The provider completes the send and echoes it; a fresh worker takes the lane over once the
    // dead worker's lease expires.
    await stack.startWorker({ leaseMs: 4000 });
    await waitFor(
      () => stack.sim.sent(stack.instanceName).some((m) => m.text === 'enviada uma vez só'),
      'the provider to have the message',
      30_000,
    );
    await sleep(12_000);
    const copies = stack.sim.sent(stack.instanceName).filter((m) => m.text === 'enviada uma vez só');
    expect(copies).toHaveLength(1);
    // Chatwoot shows the agent's message once, not again as a phone-sent echo, and not failed.
    const shown = stack.chatwoot.messages(conv.id).filter((m) => m.content === 'enviada uma vez só');
    expect(shown).toHaveLength(1);
    expect(shown[0]?.status).not.toBe('failed');
    const mapping = await stack.deps.db
      .$unguarded('test')
      .messageMapping.findFirst({ where: { instanceId: stack.instanceId, chatwootMessageId: shown[0]?.id } });
    expect(mapping?.providerMessageId).toBe(copies[0]?.messageId);
  }, 120_000);
});
