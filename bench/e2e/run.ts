// End-to-end latency of a text, both ways, through the real Hub (intake, lanes, worker) and the
// contract-faithful simulators: WhatsApp → Chatwoot from the provider's webhook to the message stored
// in Chatwoot, and Chatwoot → WhatsApp from the agent's message to the send the provider received.
// Also the webhook acknowledgement time as the simulators measured it. Writes bench/results/e2e.json.
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { recreateDatabase } from '@whatpro/db';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const env = process.env;
const MESSAGES = Number(env.BENCH_MESSAGES ?? 300);
const CONTACTS = Number(env.BENCH_CONTACTS ?? 30);
const RATE = Number(env.BENCH_RATE ?? 20); // messages per second, each way
const DATABASE_URL = env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/whatpro_bench_e2e';

// The stack is the end-to-end test harness; it reads the same variables the tests do.
Object.assign(process.env, {
  NODE_ENV: 'production',
  LOG_LEVEL: 'silent',
  DATABASE_URL,
  REDIS_URL: env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/3',
  REDIS_KEY_PREFIX: 'whatpro-bench-e2e:',
  SECRET_KEYS: `1:${Buffer.alloc(32, 7).toString('base64')}`,
  JWT_KEYS: `1:${Buffer.alloc(32, 8).toString('base64')}`,
  HUB_PUBLIC_URL: 'http://127.0.0.1:1',
});
const { conversationFor, startStack, waitFor } = await import('../../apps/hub/test/e2e/harness.ts');
type Stack = Awaited<ReturnType<typeof startStack>>;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
const summary = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
  };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const phone = (i: number) => `+55119880${String(i).padStart(5, '0')}`;

async function paced(count: number, fn: (i: number) => Promise<void>) {
  const started = Date.now();
  const pending: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / RATE;
    if (due > Date.now()) await sleep(due - Date.now());
    pending.push(fn(i));
  }
  await Promise.all(pending);
}

async function measure(stack: Stack) {
  // Contacts write once first, so both legs measure steady state, not conversation creation.
  const conversations: number[] = [];
  for (let c = 0; c < CONTACTS; c++) {
    await stack.sim.receive(stack.instanceName, { from: phone(c), text: 'olá' });
    conversations.push((await conversationFor(stack, phone(c).slice(1), 30_000)).id);
  }

  const inboundSent = new Map<string, number>();
  await paced(MESSAGES, async (i) => {
    const text = `in-${i}`;
    inboundSent.set(text, Date.now());
    await stack.sim.receive(stack.instanceName, { from: phone(i % CONTACTS), text });
  });
  const inbound = await waitFor(
    () => {
      const stored = stack.chatwoot.messages().filter((m) => m.content?.startsWith('in-'));
      return stored.length === MESSAGES ? stored : null;
    },
    'every inbound message in Chatwoot',
    120_000,
  );

  const outboundSent = new Map<string, number>();
  await paced(MESSAGES, async (i) => {
    const text = `out-${i}`;
    outboundSent.set(text, Date.now());
    await stack.chatwoot.agentReply(conversations[i % CONTACTS] as number, { content: text });
  });
  const outbound = await waitFor(
    () => {
      const sent = stack.sim.sent(stack.instanceName).filter((m) => m.text?.startsWith('out-'));
      return sent.length === MESSAGES ? sent : null;
    },
    'every outbound message at the provider',
    120_000,
  );

  const providerAcks = stack.sim
    .deliveries()
    .map((d) => d as { durationMs?: number })
    .filter((d) => typeof d.durationMs === 'number');
  return {
    inboundMs: summary(inbound.map((m) => m.createdAt.getTime() - (inboundSent.get(m.content as string) as number))),
    outboundMs: summary(outbound.map((m) => m.at - (outboundSent.get(m.text as string) as number))),
    chatwootWebhookAckMs: summary(stack.chatwoot.deliveries({ event: 'message_created' }).map((d) => d.durationMs)),
    ...(providerAcks.length ? { providerWebhookAckMs: summary(providerAcks.map((d) => d.durationMs as number)) } : {}),
  };
}

async function main() {
  await recreateDatabase(DATABASE_URL);
  const results: Record<string, unknown> = {};
  for (const provider of ['uazapi', 'evolution'] as const) {
    const stack = await startStack(provider, { worker: { concurrency: 32 } });
    try {
      results[provider] = await measure(stack);
      process.stdout.write(`${provider}: ${JSON.stringify(results[provider])}\n`);
    } finally {
      await stack.close();
    }
  }
  const report = {
    benchmark: 'e2e',
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadavg: os.loadavg(), node: process.version },
    parameters: { messagesEachWay: MESSAGES, contacts: CONTACTS, ratePerSecond: RATE, workers: 1 },
    results,
  };
  writeFileSync(path.join(root, 'bench/results/e2e.json'), `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write('written to bench/results/e2e.json\n');
  process.exit(0);
}

main().catch((error) => {
  process.stderr.write(`bench failed: ${(error as Error).stack}\n`);
  process.exit(1);
});
