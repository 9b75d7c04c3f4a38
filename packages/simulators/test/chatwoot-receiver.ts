// A stand-in for the Hub's Chatwoot webhook endpoint: records the exact bytes and headers it receives
// and answers as told (status, delay), so simulator tests can see what Chatwoot would POST.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  headers: IncomingMessage['headers'];
  rawBody: string;
  body: Record<string, unknown>;
  event: string;
}

export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  /** Answer for an event: status and an optional delay before answering. */
  answer: (event: string) => { status: number; delayMs?: number } = () => ({ status: 200 });
  #server: Server;
  url = '';

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks).toString('utf8');
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(rawBody);
        } catch {
          body = {};
        }
        const event = typeof body.event === 'string' ? body.event : '';
        this.received.push({ headers: req.headers, rawBody, body, event });
        const { status, delayMs } = this.answer(event);
        setTimeout(() => {
          if (!res.destroyed) res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
        }, delayMs ?? 0);
      });
    });
  }

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await new Promise<void>((resolve) => receiver.#server.listen(0, '127.0.0.1', () => resolve()));
    receiver.url = `http://127.0.0.1:${(receiver.#server.address() as AddressInfo).port}/chatwoot/webhook/t1`;
    return receiver;
  }

  events(name?: string): ReceivedWebhook[] {
    return name ? this.received.filter((r) => r.event === name) : this.received;
  }

  clear(): void {
    this.received.length = 0;
    this.answer = () => ({ status: 200 });
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
