// A contract-faithful fake Chatwoot (v4.15.1) for one account: the Application API endpoints the Hub
// calls, the two public-API contact signals, ActiveStorage downloads, and the inbox webhooks Chatwoot
// POSTs (signed the v4.13+ way, or unsigned), with fault injection on both sides.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { FailureRule } from '../types.ts';
import { contactView, conversationView, inboxRecord, inboxSlim, inboxView, messageView } from './presenters.ts';
import { ChatwootStore, type NewContact, notFound, SimHttpError } from './store.ts';
import type {
  ChatwootSimulatorOptions,
  CwContact,
  CwContactInbox,
  CwConversation,
  CwConversationStatus,
  CwInbox,
  CwMessage,
  CwRecordedRequest,
  CwUser,
  CwWebhookDelivery,
  CwWebhookRule,
} from './types.ts';

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

interface Req {
  method: string;
  path: string;
  params: string[];
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  json: Record<string, unknown>;
  files: { field: string; fileName: string; contentType: string; data: Buffer }[];
}

type Handler = (req: Req) => Reply | Promise<Reply>;

const DEFAULT_USER: CwUser = { id: 1, name: 'WhatsApp Hub', email: 'hub@acme.example' };
const DEFAULT_AGENT: CwUser = { id: 3, name: 'João Pereira', email: 'joao@acme.example' };

const ok = (body?: unknown): Reply => ({ status: 200, body });
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);
const bool = (v: unknown): boolean | undefined => (v === true || v === 'true' ? true : v === false || v === 'false' ? false : undefined);
const record = (v: unknown): Record<string, unknown> | undefined => {
  if (typeof v === 'string') {
    try {
      return record(JSON.parse(v));
    } catch {
      return undefined;
    }
  }
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
};
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function matches(rule: { path?: string | RegExp; method?: string }, method: string, path: string): boolean {
  if (rule.method && rule.method.toUpperCase() !== method) return false;
  if (rule.path === undefined) return true;
  return typeof rule.path === 'string' ? path.includes(rule.path) : rule.path.test(path);
}

export class ChatwootSimulator {
  readonly accountId: number;
  readonly userToken: string;
  readonly user: CwUser;
  #baseUrl = '';
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #store: ChatwootStore;
  readonly #opts: ChatwootSimulatorOptions;
  readonly #routes: { method: string; pattern: RegExp; handler: Handler }[] = [];
  #requests: CwRecordedRequest[] = [];
  #failures: (FailureRule & { remaining: number })[] = [];
  #webhookRules: (CwWebhookRule & { remaining: number })[] = [];
  #deliveries: CwWebhookDelivery[] = [];
  #hooks: { method?: string; path?: string | RegExp; run: () => void | Promise<void> }[] = [];
  #latencyMs: number;
  #errorRate: number;
  #window = { minute: -1, count: 0 };
  #queue: Promise<void> = Promise.resolve();
  readonly #inflight = new Set<Promise<void>>();
  readonly #aborts = new Set<AbortController>();
  #closed = false;

  constructor(opts: ChatwootSimulatorOptions = {}) {
    this.#opts = opts;
    this.accountId = opts.accountId ?? 1;
    this.userToken = opts.userToken ?? randomBytes(18).toString('base64url');
    this.user = opts.user ?? DEFAULT_USER;
    this.#latencyMs = opts.latencyMs ?? 0;
    this.#errorRate = opts.errorRate ?? 0;
    this.#store = new ChatwootStore(
      this.accountId,
      opts.accountName ?? 'Acme Ltda',
      '',
      this.user,
      opts.agents ?? [DEFAULT_AGENT],
      opts.signWebhooks ?? true,
      opts.messageFloodLimit ?? 200,
      (inboxId, event, body) => this.#enqueueWebhook(inboxId, event, body),
    );
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error) => {
        if (!res.headersSent) this.#send(res, { status: 500, body: { status: 500, error: String(error) } });
      });
    });
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
    this.#defineRoutes();
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#opts.port ?? 0, this.#opts.host ?? '127.0.0.1', () => resolve());
    });
    const { port } = this.#server.address() as AddressInfo;
    this.#baseUrl = `http://${this.#opts.host ?? '127.0.0.1'}:${port}`;
    this.#store.baseUrl = this.#baseUrl;
    return this;
  }

  get baseUrl(): string {
    return this.#baseUrl;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const a of this.#aborts) a.abort();
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // --- fault injection ----------------------------------------------------------------------------

  setLatency(ms: number): void {
    this.#latencyMs = ms;
  }
  setErrorRate(rate: number): void {
    this.#errorRate = rate;
  }
  /** The next `times` (default 1) API requests whose path contains / matches `path` fail this way. */
  fail(rule: FailureRule): void {
    this.#failures.push({ ...rule, remaining: rule.times ?? 1 });
  }
  clearFailures(): void {
    this.#failures = [];
    this.#webhookRules = [];
  }
  /** The next `times` (default 1) webhooks of `event` are delayed, dropped or doubled. */
  failWebhook(rule: CwWebhookRule): void {
    this.#webhookRules.push({ ...rule, remaining: rule.times ?? 1 });
  }
  /** Runs `run` just before the next matching request is handled: the way to stage a race. */
  beforeNext(match: { method?: string; path?: string | RegExp }, run: () => void | Promise<void>): void {
    this.#hooks.push({ ...match, run });
  }

  // --- what it received and sent ------------------------------------------------------------------

  requests(filter: { path?: string | RegExp; method?: string } = {}): CwRecordedRequest[] {
    return this.#requests.filter((r) => matches(filter, r.method, r.path));
  }
  deliveries(filter: { event?: string; inboxId?: number } = {}): CwWebhookDelivery[] {
    return this.#deliveries.filter((d) => (!filter.event || d.event === filter.event) && (!filter.inboxId || d.inboxId === filter.inboxId));
  }
  inboxes(): CwInbox[] {
    return [...this.#store.inboxes.values()];
  }
  inbox(id: number): CwInbox | undefined {
    return this.#store.inboxes.get(id);
  }
  contacts(): CwContact[] {
    return [...this.#store.contacts.values()];
  }
  contactInboxes(): CwContactInbox[] {
    return [...this.#store.contactInboxes.values()];
  }
  conversations(): CwConversation[] {
    return [...this.#store.conversations.values()];
  }
  conversation(id: number): CwConversation | undefined {
    return this.#store.conversations.get(id);
  }
  messages(conversationId?: number): CwMessage[] {
    const all = [...this.#store.messages.values()];
    return conversationId === undefined ? all : all.filter((m) => m.conversationId === conversationId);
  }
  /** Forgets everything received and stored; inboxes and ids start over. */
  reset(): void {
    this.#store.clear();
    this.#requests = [];
    this.#deliveries = [];
    this.#failures = [];
    this.#webhookRules = [];
    this.#hooks = [];
  }
  /** Waits until every queued webhook was delivered (or failed). */
  async flushWebhooks(): Promise<void> {
    // A delivery can queue another (a failed message webhook emits message_updated), so wait until quiet.
    while (true) {
      const queue = this.#queue;
      await Promise.all([queue, ...this.#inflight]);
      if (queue === this.#queue && this.#inflight.size === 0) return;
    }
  }

  // --- state set up as an administrator or agent would ---------------------------------------------

  createInbox(input: { name: string; webhookUrl?: string | null; lockToSingleConversation?: boolean }): CwInbox {
    return this.#store.createInbox(input);
  }
  setInboxWebhookUrl(inboxId: number, webhookUrl: string | null): void {
    this.#store.inbox(inboxId).webhookUrl = webhookUrl;
  }
  /** A contact created in the dashboard or by an import, outside the Hub. */
  createContact(fields: NewContact & { inboxId?: number; sourceId?: string }): CwContact {
    const contact = this.#store.createContact(fields);
    if (fields.inboxId !== undefined) {
      this.#store.createContactInbox(
        contact.id,
        fields.inboxId,
        fields.sourceId,
        new SimHttpError(500, { status: 500, error: 'Internal Server Error' }),
      );
    }
    return contact;
  }
  createConversation(input: { inboxId: number; contactId: number; sourceId?: string; status?: CwConversationStatus }): CwConversation {
    return this.#store.createConversation(input);
  }

  /**
   * "Agent X replies 'text' in conversation C": stores the message as the dashboard would and fires
   * `message_created`; resolves once that webhook was delivered (or failed).
   */
  async agentReply(
    conversationId: number,
    reply: {
      content?: string;
      agentId?: number;
      /** Chatwoot id of the message the agent quotes. */
      inReplyTo?: number;
      private?: boolean;
      /** Automation / template messages have no sender. */
      messageType?: 'outgoing' | 'template';
      senderless?: boolean;
      attachments?: { data: Buffer; fileName: string; contentType: string }[];
      contentAttributes?: Record<string, unknown>;
    },
  ): Promise<CwMessage> {
    const conv = this.#store.conversation(conversationId);
    const agentId = reply.senderless ? null : (reply.agentId ?? this.#opts.agents?.[0]?.id ?? DEFAULT_AGENT.id);
    if (agentId !== null && !this.#store.users.has(agentId)) throw new Error(`no agent ${agentId} in the simulator`);
    const message = this.#store.createMessage(conv, {
      messageType: reply.messageType ?? 'outgoing',
      content: reply.content ?? null,
      private: reply.private ?? false,
      userId: agentId,
      contentAttributes: { ...reply.contentAttributes, ...(reply.inReplyTo !== undefined ? { in_reply_to: reply.inReplyTo } : {}) },
      attachments: reply.attachments,
    });
    await this.flushWebhooks();
    return message;
  }
  async agentTyping(conversationId: number, on: boolean, opts: { agentId?: number; isPrivate?: boolean } = {}): Promise<void> {
    const user = this.#store.users.get(opts.agentId ?? DEFAULT_AGENT.id) ?? this.user;
    this.#store.typing(this.#store.conversation(conversationId), on, { user }, opts.isPrivate ?? false);
    await this.flushWebhooks();
  }
  async agentDeleteMessage(conversationId: number, messageId: number): Promise<CwMessage> {
    const message = this.#store.message(conversationId, messageId);
    this.#store.deleteMessage(message);
    await this.flushWebhooks();
    return message;
  }
  /** An agent takes the conversation (or unassigns it with null). */
  async assign(conversationId: number, agentId: number | null): Promise<void> {
    if (agentId !== null && !this.#store.users.has(agentId)) throw new Error(`no agent ${agentId} in the simulator`);
    this.#store.updateConversation(this.#store.conversation(conversationId), { assigneeId: agentId });
    await this.flushWebhooks();
  }
  async setLabels(conversationId: number, labels: string[]): Promise<void> {
    this.#store.updateConversation(this.#store.conversation(conversationId), { labels });
    await this.flushWebhooks();
  }
  async agentSetStatus(conversationId: number, status: CwConversationStatus): Promise<void> {
    this.#store.setConversationStatus(this.#store.conversation(conversationId), status);
    await this.flushWebhooks();
  }
  /** Delivers any body (a fixture, garbage) to an inbox's webhook URL, signed like the real ones. */
  async deliverRaw(inboxId: number, body: unknown, event = 'raw'): Promise<CwWebhookDelivery> {
    const inbox = this.#store.inbox(inboxId);
    if (!inbox.webhookUrl) throw new Error(`inbox ${inboxId} has no webhook_url`);
    return this.#deliver(inbox, event, typeof body === 'string' ? body : JSON.stringify(body), body);
  }

  // --- webhooks -----------------------------------------------------------------------------------

  #enqueueWebhook(inboxId: number, event: string, body: Record<string, unknown>): void {
    const inbox = this.#store.inboxes.get(inboxId);
    if (!inbox?.webhookUrl || this.#closed) return;
    const rule = this.#webhookRules.find(
      (r) => r.remaining > 0 && (!r.event || (typeof r.event === 'string' ? r.event === event : r.event.test(event))),
    );
    if (rule) rule.remaining -= 1;
    if (rule?.drop) return;
    const raw = JSON.stringify(body);
    const copies = rule?.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const run = async () => {
        if (rule?.delayMs) await sleep(rule.delayMs);
        const delivery = await this.#deliver(inbox, event, raw, body);
        if (delivery.error && (event === 'message_created' || event === 'message_updated')) this.#markFailed(body, delivery.error);
      };
      if ((this.#opts.webhookMode ?? 'serial') === 'serial') {
        this.#queue = this.#queue.then(run, run);
      } else {
        const task = run().finally(() => this.#inflight.delete(task));
        this.#inflight.add(task);
      }
    }
  }

  // Webhooks::Trigger: a failed message webhook runs StatusUpdateService(message, 'failed', error).
  #markFailed(body: Record<string, unknown>, error: string): void {
    const id = typeof body.id === 'number' ? body.id : undefined;
    const message = id === undefined ? undefined : this.#store.messages.get(id);
    if (message) this.#store.updateMessageStatus(message, 'failed', error);
  }

  async #deliver(inbox: CwInbox, event: string, rawBody: string, body: unknown): Promise<CwWebhookDelivery> {
    const url = inbox.webhookUrl as string;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json',
      'x-chatwoot-delivery': randomUUID(),
    };
    if (inbox.secret) {
      const timestamp = Math.floor(Date.now() / 1000);
      headers['x-chatwoot-timestamp'] = String(timestamp);
      headers['x-chatwoot-signature'] = `sha256=${createHmac('sha256', inbox.secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
    }
    const timeoutMs = this.#opts.webhookTimeoutMs ?? 5_000;
    const abort = new AbortController();
    this.#aborts.add(abort);
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    const started = Date.now();
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(url, { method: 'POST', headers, body: rawBody, signal: abort.signal, redirect: 'manual' });
      status = res.status;
      await res.arrayBuffer().catch(() => undefined);
      if (status < 200 || status >= 300) error = `${status} ${res.statusText}`.trim();
    } catch (e) {
      error = abort.signal.aborted
        ? 'Timed out reading data from server'
        : `Failed to open TCP connection (${(e as { cause?: { code?: string } }).cause?.code ?? 'error'})`;
    } finally {
      clearTimeout(timer);
      this.#aborts.delete(abort);
    }
    const delivery: CwWebhookDelivery = {
      id: headers['x-chatwoot-delivery'] as string,
      event,
      inboxId: inbox.id,
      url,
      headers,
      rawBody,
      body,
      status,
      error,
      at: started,
      durationMs: Date.now() - started,
    };
    this.#deliveries.push(delivery);
    return delivery;
  }

  // --- HTTP ---------------------------------------------------------------------------------------

  #send(res: ServerResponse, reply: Reply): void {
    const headers: Record<string, string> = { ...reply.headers };
    let payload: string | Buffer | undefined;
    if (Buffer.isBuffer(reply.body)) payload = reply.body;
    else if (typeof reply.body === 'string') {
      payload = reply.body;
      headers['content-type'] ??= 'text/plain; charset=utf-8';
    } else if (reply.body !== undefined) {
      payload = JSON.stringify(reply.body);
      headers['content-type'] ??= 'application/json; charset=utf-8';
    }
    res.writeHead(reply.status, headers);
    res.end(payload);
  }

  async #readBody(req: IncomingMessage): Promise<Buffer> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  }

  async #parse(req: IncomingMessage, url: URL): Promise<{ parsed: Req; recorded: CwRecordedRequest }> {
    const raw = await this.#readBody(req);
    const contentType = req.headers['content-type'] ?? '';
    let json: Record<string, unknown> = {};
    let body: unknown = null;
    const files: Req['files'] = [];
    let multipart: CwRecordedRequest['multipart'];
    if (contentType.startsWith('multipart/form-data')) {
      // Node's own fetch Response parses multipart, part Content-Type included.
      const form = await new Response(raw, { headers: { 'content-type': contentType } }).formData();
      const fields: Record<string, string> = {};
      for (const [field, value] of form.entries()) {
        if (typeof value === 'string') fields[field] = value;
        else files.push({ field, fileName: value.name, contentType: value.type, data: Buffer.from(await value.arrayBuffer()) });
      }
      json = { ...fields };
      multipart = {
        fields,
        files: files.map((f) => ({ field: f.field, fileName: f.fileName, contentType: f.contentType, size: f.data.length })),
      };
      body = multipart;
    } else if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
        json = { ...record(body) };
      } catch {
        body = raw.toString('utf8');
      }
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const method = req.method ?? 'GET';
    const recorded: CwRecordedRequest = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body,
      at: Date.now(),
      ...(multipart ? { multipart } : {}),
    };
    // Rails merges query parameters into params.
    for (const [k, v] of url.searchParams) if (!(k in json)) json[k] = v;
    return { parsed: { method, path: url.pathname, params: [], query: url.searchParams, headers: req.headers, json, files }, recorded };
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator');
    const { parsed, recorded } = await this.#parse(req, url);
    this.#requests.push(recorded);

    const hookIndex = this.#hooks.findIndex((h) => matches(h, parsed.method, parsed.path));
    if (hookIndex >= 0) {
      const [hook] = this.#hooks.splice(hookIndex, 1);
      await hook?.run();
    }

    const failure = this.#failures.find((f) => f.remaining > 0 && matches(f, parsed.method, parsed.path));
    if (failure) {
      failure.remaining -= 1;
      if (failure.delayMs) await sleep(failure.delayMs);
      if (failure.reset) {
        req.socket.destroy();
        return;
      }
      if (failure.hang) return; // the socket stays open until the client gives up or close()
      if (failure.status) {
        this.#send(res, { status: failure.status, body: failure.body, headers: failure.headers });
        return;
      }
    }
    if (this.#latencyMs > 0) await sleep(this.#latencyMs);
    if (this.#errorRate > 0 && Math.random() < this.#errorRate) {
      this.#send(res, { status: 500, body: { status: 500, error: 'Internal Server Error' } });
      return;
    }
    const limited = this.#rateLimited();
    if (limited) {
      this.#send(res, limited);
      return;
    }
    this.#send(res, await this.#route(parsed));
  }

  // Rack::Attack 'req/ip': a fixed window per epoch minute; its default answer is plain text.
  #rateLimited(): Reply | null {
    const limit = this.#opts.rateLimitPerMinute;
    if (limit === undefined) return null;
    const now = Date.now();
    const minute = Math.floor(now / 60_000);
    if (this.#window.minute !== minute) this.#window = { minute, count: 0 };
    this.#window.count += 1;
    if (this.#window.count <= limit) return null;
    const headers: Record<string, string> = { 'content-type': 'text/plain' };
    if (this.#opts.rateLimitRetryAfterHeader) headers['retry-after'] = String(Math.ceil((60_000 - (now % 60_000)) / 1000));
    return { status: 429, body: 'Retry later\n', headers };
  }

  async #route(req: Req): Promise<Reply> {
    let methodMismatch = false;
    for (const route of this.#routes) {
      const m = route.pattern.exec(req.path);
      if (!m) continue;
      if (route.method !== req.method) {
        methodMismatch = true;
        continue;
      }
      req.params = m.slice(1).map((p) => decodeURIComponent(p));
      try {
        return await route.handler(req);
      } catch (error) {
        if (error instanceof SimHttpError) return { status: error.status, body: error.body };
        throw error;
      }
    }
    return methodMismatch
      ? { status: 404, body: { error: 'Resource could not be found' } }
      : { status: 404, body: { status: 404, error: 'Not Found' } };
  }

  #auth(req: Req): void {
    const token = req.headers.api_access_token;
    if (token === undefined || token === '') {
      throw new SimHttpError(401, { errors: ['You need to sign in or sign up before continuing.'] });
    }
    if (token !== this.userToken) throw new SimHttpError(401, { error: 'Invalid Access Token' });
  }

  #defineRoutes(): void {
    const store = this.#store;
    const acct = (path: string) => new RegExp(`^/api/v1/accounts/(\\d+)${path}$`);
    const api = (method: string, path: string, handler: (req: Req, ...params: string[]) => Reply | Promise<Reply>) => {
      this.#routes.push({
        method,
        pattern: acct(path),
        handler: (req) => {
          this.#auth(req);
          const [account, ...rest] = req.params;
          if (Number(account) !== this.accountId) throw new SimHttpError(401, { error: 'You are not authorized to access this account' });
          return handler(req, ...rest);
        },
      });
    };
    const num = (s: string | undefined) => Number(s);
    const contactFields = (b: Record<string, unknown>): NewContact => ({
      name: str(b.name),
      email: b.email === null ? null : str(b.email),
      phoneNumber: b.phone_number === null ? null : str(b.phone_number),
      identifier: b.identifier === null ? null : str(b.identifier),
      avatarUrl: str(b.avatar_url),
      blocked: bool(b.blocked),
      customAttributes: record(b.custom_attributes),
      additionalAttributes: record(b.additional_attributes),
    });
    const filterContacts = (payload: unknown): CwContact[] => {
      if (!Array.isArray(payload) || payload.length === 0) throw new SimHttpError(422, { error: 'Invalid filter' });
      // Contacts::FilterService: each condition compares values[0] only; phone values get a "+" prefix.
      const tests = payload.map((raw) => {
        const c = record(raw) ?? {};
        const key = str(c.attribute_key);
        const values = Array.isArray(c.values) ? c.values : [];
        const value = str(values[0]);
        const op = str(c.filter_operator);
        const column: Record<string, (x: CwContact) => string | null> = {
          phone_number: (x) => x.phoneNumber,
          identifier: (x) => x.identifier?.toLowerCase() ?? null,
          email: (x) => x.email?.toLowerCase() ?? null,
          name: (x) => x.name.toLowerCase(),
        };
        const get = key ? column[key] : undefined;
        if (!get || value === undefined || (op !== 'equal_to' && op !== 'not_equal_to'))
          throw new SimHttpError(422, { error: 'Invalid filter' });
        const wanted = key === 'phone_number' ? `+${value.replaceAll('+', '')}` : value.toLowerCase();
        const queryOperator = str(c.query_operator)?.toUpperCase();
        if (queryOperator !== undefined && queryOperator !== 'AND' && queryOperator !== 'OR')
          throw new SimHttpError(422, { error: 'Invalid query operator' });
        return { test: (x: CwContact) => (get(x) === wanted) === (op === 'equal_to'), queryOperator };
      });
      return [...store.contacts.values()].filter((contact) => {
        // SQL precedence: AND binds tighter than OR.
        let any = false;
        let all = true;
        tests.forEach((t, i) => {
          all = all && t.test(contact);
          if (t.queryOperator !== 'AND' || i === tests.length - 1) {
            any = any || all;
            all = true;
          }
        });
        return any;
      });
    };

    this.#routes.push({
      method: 'GET',
      pattern: /^\/api$/,
      handler: () => ok({ version: this.#opts.version ?? '4.15.1', timestamp: new Date().toISOString() }),
    });
    this.#routes.push({
      method: 'GET',
      pattern: /^\/api\/v1\/profile$/,
      handler: (req) => {
        this.#auth(req);
        return ok({
          id: this.user.id,
          name: this.user.name,
          email: this.user.email,
          accounts: [{ id: this.accountId, name: store.accountName, role: 'administrator' }],
        });
      },
    });

    // Contacts.
    api('POST', '/contact_inboxes/filter', (req) => {
      const inbox = store.inbox(num(str(req.json.inbox_id)));
      const ci = store.findContactInbox(inbox.id, str(req.json.source_id) ?? '');
      if (!ci) return { status: 404 };
      return ok(contactView(store, store.contact(ci.contactId)));
    });
    api('POST', '/contacts/filter', (req) => {
      const found = filterContacts(req.json.payload);
      return ok({
        meta: { count: found.length, current_page: Number(req.query.get('page') ?? 1) },
        payload: found.map((c) => contactView(store, c)),
      });
    });
    api('POST', '/contacts', (req) => {
      const inboxId = req.json.inbox_id === undefined ? undefined : num(str(req.json.inbox_id));
      if (inboxId !== undefined) store.inbox(inboxId);
      const contact = store.createContact(contactFields(req.json));
      let ci: CwContactInbox | undefined;
      if (inboxId !== undefined) {
        try {
          ci = store.createContactInbox(
            contact.id,
            inboxId,
            str(req.json.source_id),
            new SimHttpError(422, { error: 'source_id should be unique' }),
          );
        } catch (error) {
          store.contacts.delete(contact.id); // the controller's transaction rolls the contact back
          throw error;
        }
      }
      return ok({
        payload: {
          contact: contactView(store, contact),
          contact_inbox: ci ? { inbox: inboxRecord(store, store.inbox(ci.inboxId)), source_id: ci.sourceId } : null,
        },
      });
    });
    api('GET', '/contacts/(\\d+)', (_req, id) => ok({ payload: contactView(store, store.contact(num(id))) }));
    const updateContact = (req: Req, id: string) =>
      ok({ payload: contactView(store, store.updateContact(store.contact(num(id)), contactFields(req.json))) });
    api('PUT', '/contacts/(\\d+)', updateContact);
    api('PATCH', '/contacts/(\\d+)', updateContact);
    api('POST', '/contacts/(\\d+)/contact_inboxes', (req, id) => {
      const contact = store.contact(num(id));
      const ci = store.createContactInbox(
        contact.id,
        num(str(req.json.inbox_id)),
        str(req.json.source_id),
        new SimHttpError(500, { status: 500, error: 'Internal Server Error' }),
      );
      return ok({ source_id: ci.sourceId, inbox: inboxSlim(store.inbox(ci.inboxId)) });
    });
    api('GET', '/contacts/(\\d+)/conversations', (_req, id) => {
      const contact = store.contact(num(id));
      const list = [...store.conversations.values()]
        .filter((c) => c.contactId === contact.id)
        .sort((a, b) => b.lastActivityAt.getTime() - a.lastActivityAt.getTime() || b.id - a.id)
        .slice(0, 20);
      return ok({ payload: list.map((c) => conversationView(store, c)) });
    });

    // Conversations.
    api('POST', '/conversations', (req) => {
      const inboxId = num(str(req.json.inbox_id));
      const contactId = num(str(req.json.contact_id));
      if (!Number.isFinite(inboxId) || !Number.isFinite(contactId)) throw notFound();
      const status = str(req.json.status) as CwConversationStatus | undefined;
      if (status && !['open', 'resolved', 'pending', 'snoozed'].includes(status))
        throw new SimHttpError(422, { error: `'${status}' is not a valid status` });
      const conv = store.createConversation({
        inboxId,
        contactId,
        sourceId: str(req.json.source_id),
        status,
        assigneeId: req.json.assignee_id == null ? null : num(str(req.json.assignee_id)),
        teamId: req.json.team_id == null ? null : num(str(req.json.team_id)),
        customAttributes: record(req.json.custom_attributes),
        additionalAttributes: record(req.json.additional_attributes),
      });
      return ok(conversationView(store, conv));
    });
    api('GET', '/conversations/(\\d+)', (_req, id) => ok(conversationView(store, store.conversation(num(id)))));
    api('POST', '/conversations/(\\d+)/toggle_status', (req, id) => {
      const conv = store.conversation(num(id));
      const requested = str(req.json.status);
      if (requested && !['open', 'resolved', 'pending', 'snoozed'].includes(requested))
        throw new SimHttpError(422, { error: `'${requested}' is not a valid status` });
      const next = (requested as CwConversationStatus | undefined) ?? (conv.status === 'open' ? 'resolved' : 'open');
      const until = req.json.snoozed_until;
      store.setConversationStatus(
        conv,
        next,
        typeof until === 'number' ? new Date(until * 1000) : typeof until === 'string' ? new Date(until) : null,
      );
      return ok({
        meta: {},
        payload: {
          success: true,
          conversation_id: conv.id,
          current_status: conv.status,
          snoozed_until: conv.snoozedUntil ? Math.floor(conv.snoozedUntil.getTime() / 1000) : null,
        },
      });
    });
    api('POST', '/conversations/(\\d+)/toggle_typing_status', (req, id) => {
      const conv = store.conversation(num(id));
      store.typing(conv, str(req.json.typing_status) === 'on', { user: this.user }, bool(req.json.is_private) ?? false);
      return { status: 200 };
    });

    // Messages.
    api('GET', '/conversations/(\\d+)/messages', (req, id) => {
      const conv = store.conversation(num(id));
      const after = Number(req.query.get('after') ?? Number.NaN);
      const before = Number(req.query.get('before') ?? Number.NaN);
      let list = store.messagesOf(conv.id);
      if (Number.isFinite(after)) list = list.filter((m) => m.id > after).slice(0, Number.isFinite(before) ? 1000 : 100);
      if (Number.isFinite(before)) list = list.filter((m) => m.id < before).slice(Number.isFinite(after) ? 0 : -20);
      if (!Number.isFinite(after) && !Number.isFinite(before)) list = list.slice(-20);
      return ok({
        meta: { labels: conv.labels, additional_attributes: conv.additionalAttributes },
        payload: list.map((m) => messageView(store, m)),
      });
    });
    api('POST', '/conversations/(\\d+)/messages', (req, id) => {
      const conv = store.conversation(num(id));
      const type = str(req.json.message_type) ?? 'outgoing';
      if (!['incoming', 'outgoing', 'template', 'activity'].includes(type))
        throw new SimHttpError(422, { error: `'${type}' is not a valid message_type` });
      if (req.files.length > 15)
        throw new SimHttpError(422, { error: 'Validation failed: Attachments Too many attachments. Maximum allowed: 15' });
      const message = store.createMessage(conv, {
        messageType: type as CwMessage['messageType'],
        content: str(req.json.content) ?? null,
        contentType: str(req.json.content_type),
        contentAttributes: record(req.json.content_attributes),
        private: bool(req.json.private) ?? false,
        sourceId: str(req.json.source_id),
        echoId: str(req.json.echo_id),
        userId: type === 'incoming' ? null : this.user.id,
        attachments: req.files
          .filter((f) => f.field === 'attachments[]' || f.field === 'attachments')
          .map((f) => ({ data: f.data, fileName: f.fileName, contentType: f.contentType })),
        isVoiceMessage: bool(req.json.is_voice_message),
        externalCreatedAt: req.json.external_created_at,
      });
      return ok(messageView(store, message));
    });
    api('PATCH', '/conversations/(\\d+)/messages/(\\d+)', (req, cid, mid) => {
      const message = store.message(num(cid), num(mid));
      store.updateMessageStatus(message, str(req.json.status) ?? '', str(req.json.external_error));
      return ok(messageView(store, message));
    });
    api('DELETE', '/conversations/(\\d+)/messages/(\\d+)', (_req, cid, mid) => {
      const message = store.message(num(cid), num(mid));
      store.deleteMessage(message);
      return ok(messageView(store, message));
    });

    // Inboxes.
    api('GET', '/inboxes', () => ok({ payload: [...store.inboxes.values()].map(inboxView) }));
    api('GET', '/inboxes/(\\d+)', (_req, id) => ok(inboxView(store.inbox(num(id)))));
    api('POST', '/inboxes', (req) => {
      const channel = record(req.json.channel) ?? {};
      if (str(channel.type) !== 'api') throw new SimHttpError(422, { error: 'the simulator only creates API channel inboxes' });
      const name = str(req.json.name);
      if (!name) throw new SimHttpError(422, { message: "Name can't be blank", attributes: ['name'] });
      const inbox = store.createInbox({
        name,
        webhookUrl: str(channel.webhook_url),
        hmacMandatory: bool(channel.hmac_mandatory),
        lockToSingleConversation: bool(req.json.lock_to_single_conversation),
        enableAutoAssignment: bool(req.json.enable_auto_assignment),
        additionalAttributes: record(channel.additional_attributes),
      });
      return ok(inboxView(inbox));
    });
    api('PATCH', '/inboxes/(\\d+)', (req, id) => {
      const inbox = store.inbox(num(id));
      const channel = record(req.json.channel) ?? {};
      if ('webhook_url' in channel) inbox.webhookUrl = str(channel.webhook_url) || null;
      if (str(req.json.name)) inbox.name = str(req.json.name) as string;
      return ok(inboxView(inbox));
    });

    // Public (client) API: the contact's own signals, addressed by inbox identifier + source id.
    const publicConversation = (identifier: string, sourceId: string, conversationId: string) => {
      const inbox = store.inboxByIdentifier(identifier);
      const ci = store.findContactInbox(inbox.id, sourceId);
      const conv = store.conversations.get(num(conversationId));
      if (!ci || !conv || conv.contactInboxId !== ci.id) throw notFound();
      return conv;
    };
    const pub = (action: string, handler: (conv: CwConversation, req: Req) => Reply) =>
      this.#routes.push({
        method: 'POST',
        pattern: new RegExp(`^/public/api/v1/inboxes/([^/]+)/contacts/([^/]+)/conversations/(\\d+)/${action}$`),
        handler: (req) => {
          const [identifier, sourceId, conversationId] = req.params as [string, string, string];
          return handler(publicConversation(identifier, sourceId, conversationId), req);
        },
      });
    pub('toggle_typing', (conv, req) => {
      store.typing(conv, str(req.json.typing_status) === 'on', { contact: store.contact(conv.contactId) }, false);
      return { status: 200 };
    });
    pub('update_last_seen', (conv) => {
      store.contactReadUpToNow(conv);
      return { status: 200 };
    });

    // ActiveStorage: data_url redirects to the stored bytes, as Chatwoot's redirect routes do.
    this.#routes.push({
      method: 'GET',
      pattern: /^\/rails\/active_storage\/blobs\/redirect\/([^/]+)\/([^/]+)$/,
      handler: (req) => {
        const [key, name] = req.params as [string, string];
        if (!store.blobs.has(key)) throw notFound();
        return { status: 302, headers: { location: `${this.#baseUrl}/rails/active_storage/disk/${key}/${encodeURIComponent(name)}` } };
      },
    });
    this.#routes.push({
      method: 'GET',
      pattern: /^\/rails\/active_storage\/disk\/([^/]+)\/([^/]+)$/,
      handler: (req) => {
        const blob = store.blobs.get(req.params[0] as string);
        if (!blob) throw notFound();
        return { status: 200, body: blob.data, headers: { 'content-type': blob.contentType, 'content-length': String(blob.data.length) } };
      },
    });
  }
}

/** Starts a Chatwoot simulator on a free port (or `opts.port`). */
export async function startChatwootSimulator(opts: ChatwootSimulatorOptions = {}): Promise<ChatwootSimulator> {
  return new ChatwootSimulator(opts).listen();
}
