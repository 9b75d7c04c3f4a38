// The Chatwoot simulator against the contract: webhook bodies with the same structure as the fixtures
// rebuilt from Chatwoot's presenters, v4.13+ signing and unsigned mode, Chatwoot's delivery quirks
// (failed webhooks mark messages failed, no retry, duplicates, reordering), and its model rules.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChatwootClient, parseChatwootWebhook, verifyChatwootSignature } from '@whatpro/chatwoot';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ChatwootSimulator, startChatwootSimulator } from '../src/index.ts';
import { WebhookReceiver } from './chatwoot-receiver.ts';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../shared/contracts/chatwoot/fixtures');
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8'));

const TOKEN = 'sim-test-token-0a9b8c7d';
const SOURCE = '5511987654321';

/** Keys in order, recursively (arrays by their first element), with leaf types. */
function structure(value: unknown): unknown {
  if (Array.isArray(value)) return value.length ? [structure(value[0])] : [];
  if (value !== null && typeof value === 'object') return Object.entries(value).map(([k, v]) => [k, structure(v)]);
  return value === null ? 'null' : typeof value;
}

let sim: ChatwootSimulator;
let hub: WebhookReceiver;
let client: ChatwootClient;

beforeAll(async () => {
  hub = await WebhookReceiver.start();
  sim = await startChatwootSimulator({ userToken: TOKEN, agents: [{ id: 3, name: 'João Pereira', email: 'joao@acme.example' }] });
});
afterAll(async () => {
  await sim.close();
  await hub.close();
});
beforeEach(() => {
  sim.reset();
  hub.clear();
  client = new ChatwootClient({ baseUrl: sim.baseUrl, accountId: sim.accountId, userToken: TOKEN });
});
afterEach(async () => {
  await sim.flushWebhooks();
});

async function story(webhookUrl: string | null = hub.url) {
  const inbox = sim.createInbox({ name: 'WhatsApp Vendas (Hub)', webhookUrl });
  const { contact } = await client.ensureContact({
    inboxId: inbox.id,
    sourceId: SOURCE,
    name: 'Maria Silva',
    phoneNumber: '+5511987654321',
    identifier: '5511987654321@s.whatsapp.net',
    customAttributes: { provider: 'evolution' },
  });
  const conversation = await client.createConversation({ inboxId: inbox.id, contactId: contact.id, sourceId: SOURCE });
  return { inbox, contact, conversation };
}

describe('webhook bodies have the structure of the fixtures, event by event', () => {
  it('follows the fixture story: incoming insert, agent typing, quoted reply, image reply, resolve', async () => {
    const { conversation } = await story();
    const incoming = await client.createMessage(conversation.id, {
      content: 'Olá! Gostaria de saber o status do meu pedido #4521.',
      messageType: 'incoming',
      sourceId: '3EB0A1B2C3D4E5F60718',
      externalCreatedAt: 1781964005,
    });
    await sim.flushWebhooks();
    const created = hub.events('message_created');
    expect(created).toHaveLength(1);
    expect(structure(created[0]?.body)).toEqual(structure(fixture('webhook-message-created-incoming.json')));

    await sim.assign(conversation.id, 3);
    await sim.agentTyping(conversation.id, true, { agentId: 3 });
    expect(structure(hub.events('conversation_typing_on')[0]?.body)).toEqual(structure(fixture('webhook-conversation-typing-on.json')));

    const reply = await sim.agentReply(conversation.id, {
      agentId: 3,
      content: 'Oi, Maria! Seu pedido #4521 saiu para entrega hoje e chega até as 18h.',
      inReplyTo: incoming.id,
    });
    const replyHook = hub.events('message_created')[1]?.body;
    expect(structure(replyHook)).toEqual(structure(fixture('webhook-message-created-outgoing.json')));
    expect(replyHook).toMatchObject({
      id: reply.id,
      message_type: 'outgoing',
      source_id: null,
      content_attributes: { in_reply_to: incoming.id, in_reply_to_external_id: '3EB0A1B2C3D4E5F60718' },
      sender: { id: 3, name: 'João Pereira', email: 'joao@acme.example', type: 'user' },
      conversation: { id: conversation.id, messages: [{ id: reply.id, message_type: 1 }] },
    });

    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 9, 9]);
    await sim.agentReply(conversation.id, {
      agentId: 3,
      content: 'Segue o comprovante de envio 📦',
      attachments: [{ data: jpeg, fileName: 'comprovante.jpg', contentType: 'image/jpeg' }],
    });
    const imageHook = hub.events('message_created')[2]?.body as { attachments: { data_url: string }[] };
    expect(structure(imageHook)).toEqual(structure(fixture('webhook-message-created-attachment.json')));
    const file = await fetch(imageHook.attachments[0]?.data_url as string);
    expect(Buffer.from(await file.arrayBuffer()).equals(jpeg)).toBe(true);

    await sim.setLabels(conversation.id, ['entrega']);
    await sim.agentSetStatus(conversation.id, 'resolved');
    const statusHook = hub.events('conversation_status_changed')[0]?.body;
    expect(structure(statusHook)).toEqual(structure(fixture('webhook-conversation-status-changed.json')));
    expect(statusHook).toMatchObject({ status: 'resolved', changed_attributes: null, labels: ['entrega'] });
    expect(hub.events('conversation_updated').at(-1)?.body.changed_attributes).toEqual([
      { status: { previous_value: 'open', current_value: 'resolved' } },
    ]);

    // Everything the inbox webhook got, in order; contact events never go to an inbox webhook.
    expect(hub.received.map((r) => r.event)).toEqual([
      'conversation_created',
      'message_created',
      'conversation_updated',
      'conversation_typing_on',
      'message_created',
      'message_created',
      'conversation_updated',
      'conversation_status_changed',
      'conversation_updated',
    ]);
    // And each one parses with the Hub's parser.
    for (const r of hub.received) expect(() => parseChatwootWebhook(r.rawBody)).not.toThrow();
    const parsedReply = parseChatwootWebhook(hub.events('message_created')[1]?.rawBody);
    expect(parsedReply).toMatchObject({ event: 'message_created', message: { contentAttributes: { inReplyTo: incoming.id } } });
  });

  it('API answers have the structure of the response fixtures', async () => {
    const inbox = sim.createInbox({ name: 'WhatsApp Vendas (Hub)' });
    const post = async (p: string, body: unknown) => {
      const res = await fetch(`${sim.baseUrl}/api/v1/accounts/1${p}`, {
        method: 'POST',
        headers: { api_access_token: TOKEN, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(200);
      return (await res.json()) as Record<string, unknown>;
    };
    const contact = await post('/contacts', {
      inbox_id: inbox.id,
      source_id: SOURCE,
      name: 'Maria Silva',
      phone_number: '+5511987654321',
      identifier: '5511987654321@s.whatsapp.net',
      custom_attributes: { provider: 'evolution' },
    });
    expect(structure(contact)).toEqual(structure(fixture('contact-create-response.json')));
    const contactId = (contact.payload as { contact: { id: number } }).contact.id;
    const conversation = await post('/conversations', { source_id: SOURCE, inbox_id: inbox.id, contact_id: contactId });
    expect(structure(conversation)).toEqual(structure(fixture('conversation-create-response.json')));
    const message = await post(`/conversations/${conversation.id}/messages`, {
      content: 'Olá!',
      message_type: 'incoming',
      source_id: '3EB0A1B2C3D4E5F60718',
      external_created_at: 1781964005,
    });
    expect(structure(message)).toEqual(structure(fixture('message-create-response.json')));
  });
});

describe('webhook signing', () => {
  it('signs every delivery with the inbox secret over "<timestamp>.<raw body>"', async () => {
    const { inbox, conversation } = await story();
    await client.createMessage(conversation.id, { content: 'oi', messageType: 'incoming', sourceId: 'S1' });
    await sim.flushWebhooks();
    expect(hub.received.length).toBeGreaterThanOrEqual(2);
    const ids = new Set<string>();
    for (const r of hub.received) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(verifyChatwootSignature({ rawBody: r.rawBody, headers: r.headers, secret: inbox.secret as string })).toMatchObject({
        ok: true,
      });
      expect(verifyChatwootSignature({ rawBody: r.rawBody, headers: r.headers, secret: 'wrong' })).toEqual({
        ok: false,
        reason: 'mismatch',
      });
      ids.add(String(r.headers['x-chatwoot-delivery']));
    }
    expect(ids.size).toBe(hub.received.length);
    // The admin view of the inbox carries the secret the Hub stores.
    expect((await client.listInboxes())[0]?.secret).toBe(inbox.secret);
  });

  it('instances before v4.13 send unsigned webhooks and have no inbox secret', async () => {
    const old = await startChatwootSimulator({ userToken: TOKEN, signWebhooks: false });
    try {
      const oldClient = new ChatwootClient({ baseUrl: old.baseUrl, accountId: 1, userToken: TOKEN });
      const inbox = await oldClient.createApiInbox({ name: 'Legado', webhookUrl: hub.url });
      expect(inbox.secret).toBeNull();
      const contact = old.createContact({ name: 'M', inboxId: inbox.id, sourceId: SOURCE });
      old.createConversation({ inboxId: inbox.id, contactId: contact.id, sourceId: SOURCE });
      await old.flushWebhooks();
      const hook = hub.events('conversation_created')[0];
      expect(hook?.headers['x-chatwoot-delivery']).toMatch(/^[0-9a-f-]{36}$/);
      expect(hook?.headers['x-chatwoot-signature']).toBeUndefined();
      expect(hook?.headers['x-chatwoot-timestamp']).toBeUndefined();
    } finally {
      await old.close();
    }
  });
});

describe('delivery quirks', () => {
  it('a Hub answering 500 gets the message marked failed, incoming ones too (#15913), and no retry', async () => {
    const { conversation } = await story();
    await sim.flushWebhooks();
    hub.answer = (event) => ({ status: event === 'message_created' ? 500 : 200 });
    const message = await client.createMessage(conversation.id, { content: 'oi', messageType: 'incoming', sourceId: 'S1' });
    await sim.flushWebhooks();
    expect(hub.events('message_created')).toHaveLength(1);
    expect(sim.messages(conversation.id)[0]).toMatchObject({
      status: 'failed',
      contentAttributes: { external_error: '500 Internal Server Error' },
    });
    const updated = hub.events('message_updated');
    expect(updated).toHaveLength(1);
    expect(updated[0]?.body).toMatchObject({ id: message.id, content_attributes: { external_error: '500 Internal Server Error' } });
    expect(sim.deliveries({ event: 'message_created' })[0]).toMatchObject({ status: 500, error: '500 Internal Server Error' });
  });

  it('a Hub slower than WEBHOOK_TIMEOUT gets the message marked failed', async () => {
    const slow = await startChatwootSimulator({ userToken: TOKEN, webhookTimeoutMs: 150 });
    try {
      const inbox = slow.createInbox({ name: 'x', webhookUrl: hub.url });
      const contact = slow.createContact({ name: 'M', inboxId: inbox.id, sourceId: SOURCE });
      const conv = slow.createConversation({ inboxId: inbox.id, contactId: contact.id, sourceId: SOURCE });
      hub.answer = (event) => ({ status: 200, delayMs: event === 'message_created' ? 600 : 0 });
      const reply = await slow.agentReply(conv.id, { content: 'oi' });
      expect(slow.deliveries({ event: 'message_created' })[0]).toMatchObject({ status: null, error: 'Timed out reading data from server' });
      expect(slow.messages(conv.id).find((m) => m.id === reply.id)?.status).toBe('failed');
    } finally {
      await slow.close();
    }
  });

  it('drops, duplicates and delays webhooks on request; parallel mode can reorder them', async () => {
    const { conversation } = await story();
    await sim.flushWebhooks();
    hub.clear();
    sim.failWebhook({ event: 'message_created', drop: true });
    await sim.agentReply(conversation.id, { content: 'perdida' });
    sim.failWebhook({ event: 'message_created', duplicate: true });
    await sim.agentReply(conversation.id, { content: 'dobrada' });
    const bodies = hub.events('message_created').map((r) => r.body.content);
    expect(bodies).toEqual(['dobrada', 'dobrada']);
    const ids = hub.events('message_created').map((r) => r.headers['x-chatwoot-delivery']);
    expect(new Set(ids).size).toBe(2);

    const parallel = await startChatwootSimulator({ userToken: TOKEN, webhookMode: 'parallel' });
    try {
      const inbox = parallel.createInbox({ name: 'x', webhookUrl: hub.url });
      const contact = parallel.createContact({ name: 'M', inboxId: inbox.id, sourceId: SOURCE });
      const conv = parallel.createConversation({ inboxId: inbox.id, contactId: contact.id, sourceId: SOURCE });
      await parallel.flushWebhooks();
      hub.clear();
      parallel.failWebhook({ event: 'message_created', delayMs: 150 });
      const first = parallel.agentReply(conv.id, { content: 'A' });
      const second = parallel.agentReply(conv.id, { content: 'B' });
      await Promise.all([first, second]);
      expect(hub.events('message_created').map((r) => r.body.content)).toEqual(['B', 'A']);
    } finally {
      await parallel.close();
    }
  });
});

describe('agent-side controls', () => {
  it('private notes, senderless template messages, private typing and deletions reach the webhook like Chatwoot sends them', async () => {
    const { conversation } = await story();
    const note = await sim.agentReply(conversation.id, { content: 'nota interna', private: true });
    await sim.agentReply(conversation.id, { content: 'Avalie nosso atendimento', messageType: 'template', senderless: true });
    await sim.agentTyping(conversation.id, true, { isPrivate: true });
    const deleted = await sim.agentDeleteMessage(conversation.id, note.id);
    const created = hub.events('message_created').map((r) => r.body);
    expect(created.map((b) => [b.content, b.private, b.message_type, b.sender === null])).toEqual([
      ['nota interna', true, 'outgoing', false],
      ['Avalie nosso atendimento', false, 'template', true],
    ]);
    expect(hub.events('conversation_typing_on')[0]?.body.is_private).toBe(true);
    expect(hub.events('message_updated')[0]?.body).toMatchObject({
      id: deleted.id,
      content: 'This message was deleted',
      content_attributes: { deleted: true },
    });
  });

  it('the contact typing via the public API arrives as a typing webhook whose user has no type', async () => {
    const { inbox, conversation } = await story();
    await client.contactTyping({ inboxIdentifier: inbox.identifier, contactSourceId: SOURCE, conversationId: conversation.id }, true);
    await sim.flushWebhooks();
    const user = hub.events('conversation_typing_on')[0]?.body.user as Record<string, unknown>;
    expect(user).toMatchObject({ id: conversation.contactId, name: 'Maria Silva', phone_number: '+5511987654321' });
    expect('type' in user).toBe(false);
  });

  it('update_last_seen turns sent/delivered agent messages read, one message_updated each; read never goes back', async () => {
    const { inbox, conversation } = await story();
    const a = await sim.agentReply(conversation.id, { content: 'um' });
    const b = await sim.agentReply(conversation.id, { content: 'dois' });
    await client.updateMessageStatus(conversation.id, b.id, 'delivered');
    await sim.flushWebhooks();
    hub.clear();
    await client.contactReadAll({ inboxIdentifier: inbox.identifier, contactSourceId: SOURCE, conversationId: conversation.id });
    await client.updateMessageStatus(conversation.id, a.id, 'delivered');
    await sim.flushWebhooks();
    expect(hub.events('message_updated').map((r) => r.body.id)).toEqual([a.id, b.id]);
    expect(sim.messages(conversation.id).map((m) => m.status)).toEqual(['read', 'read']);
  });
});

describe('Chatwoot model rules', () => {
  it('an incoming message reopens a resolved conversation', async () => {
    const { conversation } = await story();
    await client.setConversationStatus(conversation.id, 'resolved');
    await sim.flushWebhooks();
    hub.clear();
    await client.createMessage(conversation.id, { content: 'voltei', messageType: 'incoming', sourceId: 'R1' });
    await sim.flushWebhooks();
    expect(sim.conversation(conversation.id)?.status).toBe('open');
    expect(hub.received.map((r) => r.event)).toEqual(['conversation_status_changed', 'conversation_updated', 'message_created']);
  });

  it('conversation create never reuses an open one unless the inbox is locked to a single conversation', async () => {
    const { inbox, contact, conversation } = await story();
    const again = await client.createConversation({ inboxId: inbox.id, contactId: contact.id, sourceId: SOURCE });
    expect(again.id).not.toBe(conversation.id);
    const locked = sim.createInbox({ name: 'locked', lockToSingleConversation: true });
    const one = await client.createConversation({ inboxId: locked.id, contactId: contact.id, sourceId: 'L1' });
    const two = await client.createConversation({ inboxId: locked.id, contactId: contact.id, sourceId: 'L1' });
    expect(two.id).toBe(one.id);
  });

  it('the contact filter compares only values[0] of a condition, as Contacts::FilterService does', async () => {
    sim.createContact({ name: 'A', phoneNumber: '+5511987654321' });
    sim.createContact({ name: 'B', phoneNumber: '+551187654321' });
    const res = await fetch(`${sim.baseUrl}/api/v1/accounts/1/contacts/filter?page=1`, {
      method: 'POST',
      headers: { api_access_token: TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({
        payload: [{ attribute_key: 'phone_number', filter_operator: 'equal_to', values: ['551187654321', '5511987654321'] }],
      }),
    });
    const body = (await res.json()) as { meta: { count: number }; payload: { name: string }[] };
    expect(body.meta.count).toBe(1);
    expect(body.payload.map((c) => c.name)).toEqual(['B']);
  });

  it('source ids clash: 422 on conversation create, 500 on contact_inboxes create', async () => {
    const { inbox } = await story();
    const other = sim.createContact({ name: 'Outro' });
    const conv = await fetch(`${sim.baseUrl}/api/v1/accounts/1/conversations`, {
      method: 'POST',
      headers: { api_access_token: TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ source_id: SOURCE, inbox_id: inbox.id, contact_id: other.id }),
    });
    expect([conv.status, await conv.json()]).toEqual([422, { error: 'source_id should be unique' }]);
    const ci = await fetch(`${sim.baseUrl}/api/v1/accounts/1/contacts/${other.id}/contact_inboxes`, {
      method: 'POST',
      headers: { api_access_token: TOKEN, 'content-type': 'application/json' },
      body: JSON.stringify({ inbox_id: inbox.id, source_id: SOURCE }),
    });
    expect(ci.status).toBe(500);
  });

  it('authenticates like Chatwoot: devise error without a token, access-token error with a wrong one', async () => {
    const none = await fetch(`${sim.baseUrl}/api/v1/accounts/1/inboxes`);
    expect([none.status, await none.json()]).toEqual([401, { errors: ['You need to sign in or sign up before continuing.'] }]);
    const wrong = await fetch(`${sim.baseUrl}/api/v1/accounts/1/inboxes`, { headers: { api_access_token: 'nope' } });
    expect([wrong.status, await wrong.json()]).toEqual([401, { error: 'Invalid Access Token' }]);
    const profile = await fetch(`${sim.baseUrl}/api/v1/profile`, { headers: { api_access_token: TOKEN } });
    expect(await profile.json()).toMatchObject({ id: 1, accounts: [{ id: 1, role: 'administrator' }] });
    const version = await fetch(`${sim.baseUrl}/api`);
    expect(await version.json()).toMatchObject({ version: '4.15.1' });
  });
});

describe('API fault injection and bookkeeping', () => {
  it('failure rules fire `times` times, then requests succeed; latency and error rate apply to every call', async () => {
    sim.fail({ path: '/inboxes', method: 'GET', status: 503, body: { error: 'maintenance' }, times: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push((await fetch(`${sim.baseUrl}/api/v1/accounts/1/inboxes`, { headers: { api_access_token: TOKEN } })).status);
    }
    expect(statuses).toEqual([503, 503, 200]);
    sim.setLatency(120);
    const started = Date.now();
    await client.listInboxes();
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    sim.setLatency(0);
    sim.setErrorRate(1);
    expect((await fetch(`${sim.baseUrl}/api/v1/accounts/1/inboxes`, { headers: { api_access_token: TOKEN } })).status).toBe(500);
    sim.setErrorRate(0);
    expect(sim.requests({ path: /\/inboxes$/, method: 'GET' })).toHaveLength(5);
  });

  it('reset forgets state, requests and deliveries', async () => {
    await story();
    await sim.flushWebhooks();
    expect(sim.contacts()).toHaveLength(1);
    expect(sim.deliveries().length).toBeGreaterThan(0);
    sim.reset();
    expect([
      sim.inboxes(),
      sim.contacts(),
      sim.contactInboxes(),
      sim.conversations(),
      sim.messages(),
      sim.requests(),
      sim.deliveries(),
    ]).toEqual([[], [], [], [], [], [], []]);
    expect(sim.createInbox({ name: 'again' }).id).toBe(1);
  });

  it('deleted attachments stop being downloadable', async () => {
    const { conversation } = await story();
    const m = await sim.agentReply(conversation.id, {
      content: 'x',
      attachments: [{ data: Buffer.from('abc'), fileName: 'a.txt', contentType: 'text/plain' }],
    });
    const url = `${sim.baseUrl}/rails/active_storage/blobs/redirect/${m.attachments[0]?.key}/a.txt`;
    const redirect = await fetch(url, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toContain('/rails/active_storage/disk/');
    expect(m.attachments[0]?.fileType).toBe('file');
    await sim.agentDeleteMessage(conversation.id, m.id);
    expect((await fetch(url)).status).toBe(404);
  });
});
