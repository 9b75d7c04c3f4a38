// The HTTP side of the fake Evolution server that has nothing to do with Evolution itself: body
// reading with a size cap, request recording, injected latency, random 500s and planned failures
// (status, hang, connection reset).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FailureRule, RecordedRequest } from '../types.ts';

export interface HarnessRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
}

export interface HarnessResponse {
  status: number;
  /** JSON-encoded, except a Buffer, which is sent as is. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface HarnessOptions {
  port?: number;
  host?: string;
  latencyMs?: number;
  errorRate?: number;
  maxBodyBytes: number;
  /** The body a planned or random failure answers with, in the provider's error envelope. */
  errorBody(status: number, message: string): unknown;
  handle(req: HarnessRequest): Promise<HarnessResponse>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class HttpHarness {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly rules: (FailureRule & { remaining: number })[] = [];
  private readonly recorded: RecordedRequest[] = [];
  latencyMs: number;
  errorRate: number;
  url = '';

  constructor(private readonly options: HarnessOptions) {
    this.latencyMs = options.latencyMs ?? 0;
    this.errorRate = options.errorRate ?? 0;
  }

  async listen(): Promise<string> {
    const server = createServer((req, res) => {
      this.serve(req, res).catch((error: unknown) => {
        if (!res.headersSent)
          this.send(res, { status: 500, body: this.options.errorBody(500, String((error as Error)?.message ?? error)) });
      });
    });
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(this.options.port ?? 0, this.options.host ?? '127.0.0.1', resolve));
    const address = server.address() as AddressInfo;
    this.url = `http://${address.address.includes(':') ? `[${address.address}]` : address.address}:${address.port}`;
    return this.url;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  fail(rule: FailureRule): void {
    this.rules.push({ ...rule, remaining: rule.times ?? 1 });
  }

  clearFailures(): void {
    this.rules.length = 0;
  }

  requests(filter: { path?: string | RegExp; method?: string } = {}): RecordedRequest[] {
    return this.recorded.filter(
      (r) => (!filter.method || r.method === filter.method.toUpperCase()) && (!filter.path || matches(filter.path, r.path)),
    );
  }

  clearRequests(): void {
    this.recorded.length = 0;
  }

  private takeRule(method: string, path: string): FailureRule | undefined {
    const index = this.rules.findIndex((r) => matches(r.path, path) && (!r.method || r.method.toUpperCase() === method));
    if (index < 0) return undefined;
    const rule = this.rules[index] as FailureRule & { remaining: number };
    rule.remaining -= 1;
    if (rule.remaining <= 0) this.rules.splice(index, 1);
    return rule;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const method = (req.method ?? 'GET').toUpperCase();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
    const raw = await readBody(req, this.options.maxBodyBytes);
    const request: HarnessRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), headers, body: undefined };
    if (raw === 'too-large') {
      this.recorded.push({ ...request, at: Date.now() });
      this.send(res, { status: 413, body: this.options.errorBody(413, 'request entity too large') });
      return;
    }
    if (raw.length) {
      const text = raw.toString('utf8');
      try {
        request.body = JSON.parse(text);
      } catch {
        request.body = text;
      }
    }
    this.recorded.push({ ...request, at: Date.now() });

    const rule = this.takeRule(method, url.pathname);
    if (rule?.delayMs) await sleep(rule.delayMs);
    if (rule?.reset) {
      req.socket.destroy();
      return;
    }
    if (rule?.hang) return; // never answers; the socket is destroyed on close()
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    if (rule?.status !== undefined) {
      const headers = rule.headers ?? (rule.status === 429 ? { 'retry-after': '1' } : {});
      this.send(res, { status: rule.status, body: rule.body ?? this.options.errorBody(rule.status, 'injected failure'), headers });
      return;
    }
    if (this.errorRate > 0 && Math.random() < this.errorRate) {
      this.send(res, { status: 500, body: this.options.errorBody(500, 'injected random failure') });
      return;
    }
    this.send(res, await this.options.handle(request));
  }

  private send(res: ServerResponse, response: HarnessResponse): void {
    if (Buffer.isBuffer(response.body)) {
      res.writeHead(response.status, { 'content-type': 'application/octet-stream', ...response.headers });
      res.end(response.body);
      return;
    }
    const body = response.body === undefined ? '' : JSON.stringify(response.body);
    res.writeHead(response.status, { 'content-type': 'application/json; charset=utf-8', ...response.headers });
    res.end(body);
  }
}

function matches(pattern: string | RegExp, path: string): boolean {
  return typeof pattern === 'string'
    ? path === pattern || path.startsWith(pattern.endsWith('/') ? pattern : `${pattern}/`)
    : pattern.test(path);
}

async function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  // Drained to the end even when too large, so the client reads the 413 instead of a broken pipe.
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= max) chunks.push(chunk as Buffer);
  }
  return size > max ? 'too-large' : Buffer.concat(chunks);
}
