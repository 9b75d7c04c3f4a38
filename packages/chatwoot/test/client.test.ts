// The Chatwoot client against the contract-faithful simulator. After every test, each request the
// client sent is checked against Chatwoot's OpenAPI documents (see openapi-validator.ts).
import { createServer } from 'node:net';
import { inspect } from 'node:util';
import { createLogger } from '@whatpro/platform';
import { type ChatwootSimulator, type CwRecordedRequest, startChatwootSimulator } from '@whatpro/simulators';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ChatwootClient, ChatwootError, isChatwootError } from '../src/index.ts';
import { ChatwootRequestValidator, UNDOCUMENTED_OPERATIONS } from './openapi-validator.ts';

const TOKEN = 'cw-user-token-7f3a9c2e11d84b5a';
const PHONE = '+5511987654321';
const OLD_PHONE = '+551187654321'; // the same mobile without the ninth digit
const SOURCE = '5511987654321';
const JID = '5511987654321@s.whatsapp.net';

let sim: ChatwootSimulator;
let validator: ChatwootRequestValidator;
let client: ChatwootClient;
const covered = new Set<string>();

beforeAll(async () => {
  sim = await startChatwootSimulator({ userToken: TOKEN });
  validator = await ChatwootRequestValidator.load();
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => {
  sim.reset();
  client = new ChatwootClient({ baseUrl: sim.baseUrl, accountId: sim.accountId, userToken: TOKEN, timeoutMs: 2_000 });
});
afterEach(() => {
  const problems: string[] = [];
  for (const req of sim.requests({ path: /^\/(api|public)\// })) {
    const result = validator.validate(req);
    if (result.operation) covered.add(result.operation);
    if (result.errors.length > 0) problems.push(`${req.method} ${req.path}: ${result.errors.join('; ')}`);
  }
  expect(problems).toEqual([]);
});

const inbox = () => sim.createInbox({ name: 'WhatsApp Vendas (Hub)', webhookUrl: null });
const sent = (method: string, path: string | RegExp): CwRecordedRequest[] => sim.requests({ method, path });

async function caught(promise: Promise<unknown>): Promise<ChatwootError> {
  try {
    await promise;
  } catch (error) {
    if (isChatwootError(error)) return error;
    throw error;
  }
  throw new Error('expected a ChatwootError');
}

async function contactWithConversation() {
  const ib = inbox();
  const { contact } = await client.ensureContact({
    inboxId: ib.id,
    sourceId: SOURCE,
    name: 'Maria Silva',
    phoneNumber: PHONE,
    identifier: JID,
  });
  const conversation = await client.createConversation({ inboxId: ib.id, contactId: contact.id, sourceId: SOURCE });
  return { inbox: ib, contact, conversation };
}

describe('inboxes', () => {
  it('creates an API inbox with the Hub’s webhook URL and reads back its identifier and signing secret', async () => {
    const created = await client.createApiInbox({
      name: 'WhatsApp Vendas (Hub)',
      webhookUrl: 'https://hub.example.com/chatwoot/webhook/t1',
      agentReplyTimeWindowHours: 24,
      lockToSingleConversation: false,
    });
    const stored = sim.inbox(created.id);
    expect(stored?.webhookUrl).toBe('https://hub.example.com/chatwoot/webhook/t1');
    expect(stored?.additionalAttributes).toEqual({ agent_reply_time_window: 24 });
    expect(created).toEqual({
      id: stored?.id,
      name: 'WhatsApp Vendas (Hub)',
      channelType: 'Channel::Api',
      webhookUrl: 'https://hub.example.com/chatwoot/webhook/t1',
      inboxIdentifier: stored?.identifier,
      secret: stored?.secret,
      hmacToken: stored?.hmacToken,
      lockToSingleConversation: false,
    });
    expect(created.secret).toMatch(/^[\w-]{20,}$/);
    expect(sent('POST', /\/inboxes$/)[0]?.body).toEqual({
      name: 'WhatsApp Vendas (Hub)',
      channel: {
        type: 'api',
        webhook_url: 'https://hub.example.com/chatwoot/webhook/t1',
        hmac_mandatory: false,
        additional_attributes: { agent_reply_time_window: 24 },
      },
      lock_to_single_conversation: false,
    });
  });

  it('lists inboxes and repoints a webhook URL', async () => {
    const a = inbox();
    const b = sim.createInbox({ name: 'Suporte', webhookUrl: 'https://old.example/hook' });
    expect((await client.listInboxes()).map((i) => [i.id, i.name, i.webhookUrl])).toEqual([
      [a.id, 'WhatsApp Vendas (Hub)', null],
      [b.id, 'Suporte', 'https://old.example/hook'],
    ]);
    const updated = await client.setInboxWebhookUrl(b.id, 'https://hub.example.com/new');
    expect(updated.webhookUrl).toBe('https://hub.example.com/new');
    expect(sim.inbox(b.id)?.webhookUrl).toBe('https://hub.example.com/new');
  });
});

describe('contacts', () => {
  it('creates a contact with its contact inbox and finds it exactly by (inbox, source id)', async () => {
    const ib = inbox();
    const { contact, contactInbox } = await client.createContact({
      inboxId: ib.id,
      sourceId: SOURCE,
      name: 'Maria Silva',
      phoneNumber: PHONE,
      identifier: JID,
      customAttributes: { provider: 'evolution' },
    });
    expect(contact).toMatchObject({
      name: 'Maria Silva',
      phoneNumber: PHONE,
      identifier: JID,
      customAttributes: { provider: 'evolution' },
    });
    expect(contactInbox).toEqual({ sourceId: SOURCE, inboxId: ib.id });
    expect(sim.contactInboxes().map((ci) => [ci.contactId, ci.inboxId, ci.sourceId])).toEqual([[contact.id, ib.id, SOURCE]]);

    const found = await client.findContactBySourceId(ib.id, SOURCE);
    expect(found?.id).toBe(contact.id);
    expect(found?.contactInboxes).toEqual([{ sourceId: SOURCE, inboxId: ib.id }]);
    expect(await client.findContactBySourceId(ib.id, '5511000000000')).toBeNull();
    expect(sent('POST', '/contact_inboxes/filter').at(-1)?.body).toEqual({ inbox_id: ib.id, source_id: '5511000000000' });
  });

  it('an unknown inbox in the exact lookup is an error, not "no contact"', async () => {
    const err = await caught(client.findContactBySourceId(999, SOURCE));
    expect(err.kind).toBe('not_found');
    expect(err.chatwootMessage).toBe('Resource could not be found');
  });

  it('finds a contact by phone under either Brazilian ninth-digit form, canonical first', async () => {
    const ib = inbox();
    const old = sim.createContact({ name: 'Maria (8 dígitos)', phoneNumber: OLD_PHONE });
    sim.createContact({ name: 'Fixo', phoneNumber: '+552133334444' });
    expect((await client.findContactsByPhone(PHONE)).map((c) => c.id)).toEqual([old.id]);
    // Chatwoot's filter compares only values[0] of a condition, so each variant is its own OR'd condition.
    expect(sent('POST', '/contacts/filter')[0]?.body).toEqual({
      payload: [
        { attribute_key: 'phone_number', filter_operator: 'equal_to', values: ['5511987654321'], query_operator: 'OR' },
        { attribute_key: 'phone_number', filter_operator: 'equal_to', values: ['551187654321'] },
      ],
    });
    const canonical = await client.createContact({ inboxId: ib.id, sourceId: 'x', name: 'Maria (9 dígitos)', phoneNumber: PHONE });
    expect((await client.findContactsByPhone(OLD_PHONE)).map((c) => c.id)).toEqual([canonical.contact.id, old.id]);
    expect((await client.findContactsByPhone('+552133334444')).map((c) => c.name)).toEqual(['Fixo']);
    expect(await client.findContactsByPhone('+5511912345678')).toEqual([]);
  });

  it('finds by identifier case-insensitively and updates with merged attributes', async () => {
    const c = sim.createContact({ name: 'Maria', identifier: JID, customAttributes: { provider: 'evolution', tier: 'gold' } });
    expect((await client.findContactsByIdentifier(JID.toUpperCase())).map((x) => x.id)).toEqual([c.id]);
    const updated = await client.updateContact(c.id, {
      name: 'Maria Silva',
      customAttributes: { tier: 'platinum' },
      avatarUrl: 'https://cdn.example/a.jpg',
    });
    expect(updated).toMatchObject({ id: c.id, name: 'Maria Silva', customAttributes: { provider: 'evolution', tier: 'platinum' } });
    expect(sim.contacts()[0]?.avatarUrl).toBe('https://cdn.example/a.jpg');
    expect(sent('PUT', `/contacts/${c.id}`)[0]?.body).toEqual({
      name: 'Maria Silva',
      avatar_url: 'https://cdn.example/a.jpg',
      custom_attributes: { tier: 'platinum' },
    });
  });

  it('adds an inbox to an existing contact', async () => {
    const ib = inbox();
    const c = sim.createContact({ name: 'Maria', phoneNumber: PHONE });
    expect(await client.createContactInbox(c.id, ib.id, SOURCE)).toEqual({ sourceId: SOURCE, inboxId: ib.id });
    expect(sim.contactInboxes().map((ci) => [ci.contactId, ci.inboxId, ci.sourceId])).toEqual([[c.id, ib.id, SOURCE]]);
  });
});

describe('ensureContact never makes a second contact', () => {
  const input = (inboxId: number) => ({ inboxId, sourceId: SOURCE, name: 'Maria Silva', phoneNumber: PHONE, identifier: JID });

  it('creates when nothing matches, then finds the same contact by source id', async () => {
    const ib = inbox();
    const first = await client.ensureContact(input(ib.id));
    expect(first.via).toBe('created');
    expect(first.contact.contactInboxes).toEqual([{ sourceId: SOURCE, inboxId: ib.id }]);
    const second = await client.ensureContact(input(ib.id));
    expect(second).toMatchObject({ via: 'source_id', contact: { id: first.contact.id } });
    expect(sim.contacts()).toHaveLength(1);
    expect(sent('POST', /\/contacts$/)).toHaveLength(1);
    expect(sent('POST', /\/contacts$/)[0]?.body).toEqual({
      inbox_id: ib.id,
      source_id: SOURCE,
      name: 'Maria Silva',
      phone_number: PHONE,
      identifier: JID,
    });
  });

  it('links a contact an agent made with the old 8-digit number', async () => {
    const ib = inbox();
    const agentMade = sim.createContact({ name: 'Maria (agente)', phoneNumber: OLD_PHONE });
    const result = await client.ensureContact(input(ib.id));
    expect(result.via).toBe('linked');
    expect(result.contact.id).toBe(agentMade.id);
    expect(sim.contacts()).toHaveLength(1);
    expect(sim.contactInboxes().map((ci) => [ci.contactId, ci.sourceId])).toEqual([[agentMade.id, SOURCE]]);
  });

  it('resolves the 422 "Phone number has already been taken" race by looking the winner up', async () => {
    const ib = inbox();
    sim.beforeNext({ method: 'POST', path: /\/contacts$/ }, () => {
      sim.createContact({ name: 'Maria (import)', phoneNumber: PHONE });
    });
    const result = await client.ensureContact(input(ib.id));
    expect(result.via).toBe('linked');
    expect(result.contact.name).toBe('Maria (import)');
    expect(sim.contacts()).toHaveLength(1);
    expect(sim.contactInboxes().map((ci) => [ci.contactId, ci.inboxId, ci.sourceId])).toEqual([[result.contact.id, ib.id, SOURCE]]);
    expect(sent('POST', /\/contacts$/)).toHaveLength(1);
  });

  it('resolves an "Identifier has already been taken" race', async () => {
    const ib = inbox();
    sim.beforeNext({ method: 'POST', path: /\/contacts$/ }, () => {
      sim.createContact({ name: 'Maria (CRM)', identifier: JID });
    });
    const result = await client.ensureContact(input(ib.id));
    expect(result).toMatchObject({ via: 'linked', contact: { name: 'Maria (CRM)', identifier: JID } });
    expect(sim.contacts()).toHaveLength(1);
  });

  it('returns the winner when another writer created the contact with this very source id', async () => {
    const ib = inbox();
    sim.beforeNext({ method: 'POST', path: /\/contacts$/ }, () => {
      sim.createContact({ name: 'Maria (worker 2)', phoneNumber: PHONE, inboxId: ib.id, sourceId: SOURCE });
    });
    const result = await client.ensureContact(input(ib.id));
    expect(result).toMatchObject({ via: 'source_id', contact: { name: 'Maria (worker 2)' } });
    expect(sim.contacts()).toHaveLength(1);
    expect(sim.contactInboxes()).toHaveLength(1);
  });

  it('when linking loses the source id to another contact, returns that contact', async () => {
    const ib = inbox();
    sim.createContact({ name: 'Maria', phoneNumber: PHONE });
    sim.beforeNext({ method: 'POST', path: /\/contact_inboxes$/ }, () => {
      sim.createContact({ name: 'Outro', phoneNumber: '+5521999990000', inboxId: ib.id, sourceId: SOURCE });
    });
    const result = await client.ensureContact(input(ib.id));
    expect(result).toMatchObject({ via: 'source_id', contact: { name: 'Outro' } });
    expect(sim.contacts()).toHaveLength(2);
  });

  it('does not paper over a 422 that is not a race', async () => {
    const ib = inbox();
    const err = await caught(client.ensureContact({ ...input(ib.id), phoneNumber: '5511987654321' }));
    expect(err).toMatchObject({ kind: 'unprocessable', retryable: false, httpStatus: 422, attributes: ['phone_number'] });
    expect(err.chatwootMessage).toBe('Phone number should be in e164 format');
    expect(err.isTaken()).toBe(false);
    expect(sim.contacts()).toHaveLength(0);
  });
});

describe('conversations', () => {
  it('creates open by default or pending on request, tied to the contact inbox', async () => {
    const { inbox: ib, contact, conversation } = await contactWithConversation();
    expect(conversation).toMatchObject({ inboxId: ib.id, status: 'open', contactId: contact.id });
    expect(sim.conversation(conversation.id)?.contactInboxId).toBe(sim.contactInboxes()[0]?.id);
    const pending = await client.createConversation({ inboxId: ib.id, contactId: contact.id, sourceId: SOURCE, status: 'pending' });
    expect(pending.status).toBe('pending');
    expect(sent('POST', /\/conversations$/).map((r) => r.body)).toEqual([
      { source_id: SOURCE, inbox_id: ib.id, contact_id: contact.id },
      { source_id: SOURCE, inbox_id: ib.id, contact_id: contact.id, status: 'pending' },
    ]);
  });

  it('finds the most recent non-resolved conversation of the contact in that inbox only', async () => {
    const { inbox: ib, contact, conversation: first } = await contactWithConversation();
    const other = sim.createInbox({ name: 'Outro número', webhookUrl: null });
    await client.createContactInbox(contact.id, other.id, SOURCE);
    await client.setConversationStatus(first.id, 'resolved');
    const elsewhere = await client.createConversation({ inboxId: other.id, contactId: contact.id, sourceId: SOURCE });
    expect(await client.findActiveConversation({ contactId: contact.id, inboxId: ib.id })).toBeNull();

    const pending = await client.createConversation({ inboxId: ib.id, contactId: contact.id, sourceId: SOURCE, status: 'pending' });
    expect((await client.findActiveConversation({ contactId: contact.id, inboxId: ib.id }))?.id).toBe(pending.id);
    expect((await client.findActiveConversation({ contactId: contact.id, inboxId: other.id }))?.id).toBe(elsewhere.id);
    expect((await client.findActiveConversation({ contactId: contact.id, inboxId: ib.id, statuses: ['resolved'] }))?.id).toBe(first.id);
    await client.setConversationStatus(pending.id, 'snoozed', Math.floor(Date.now() / 1000) + 3600);
    expect((await client.findActiveConversation({ contactId: contact.id, inboxId: ib.id }))?.status).toBe('snoozed');
    expect(await client.findActiveConversation({ contactId: contact.id, inboxId: ib.id, statuses: ['open', 'pending'] })).toBeNull();
  });

  it('resolves, reopens via toggle_status, and reads a conversation', async () => {
    const { conversation } = await contactWithConversation();
    expect(await client.setConversationStatus(conversation.id, 'resolved')).toEqual({
      conversationId: conversation.id,
      status: 'resolved',
    });
    expect(sim.conversation(conversation.id)?.status).toBe('resolved');
    expect(await client.reopenConversation(conversation.id)).toEqual({ conversationId: conversation.id, status: 'open' });
    expect((await client.getConversation(conversation.id)).status).toBe('open');
    expect(sent('POST', /toggle_status$/).map((r) => r.body)).toEqual([{ status: 'resolved' }, { status: 'open' }]);
  });

  it('shows the Hub user typing, on and off', async () => {
    const { conversation } = await contactWithConversation();
    await client.toggleTyping(conversation.id, true);
    await client.toggleTyping(conversation.id, false);
    expect(sent('POST', /toggle_typing_status$/).map((r) => r.body)).toEqual([
      { typing_status: 'on', is_private: false },
      { typing_status: 'off', is_private: false },
    ]);
  });
});

describe('messages', () => {
  it('creates an incoming message with the provider id and links a quote by provider id', async () => {
    const { conversation } = await contactWithConversation();
    const first = await client.createMessage(conversation.id, {
      content: 'Olá! Gostaria de saber o status do meu pedido #4521.',
      messageType: 'incoming',
      sourceId: '3EB0A1B2C3D4E5F60718',
      externalCreatedAt: 1781964005,
    });
    expect(first).toMatchObject({
      conversationId: conversation.id,
      messageType: 'incoming',
      sourceId: '3EB0A1B2C3D4E5F60718',
      status: 'sent',
      private: false,
      contentAttributes: { raw: { external_created_at: 1781964005 } },
    });
    const quoting = await client.createMessage(conversation.id, {
      content: 'Esse aqui ☝️',
      messageType: 'incoming',
      sourceId: '3EB0FFFF',
      inReplyToExternalId: '3EB0A1B2C3D4E5F60718',
    });
    expect(quoting.contentAttributes).toMatchObject({ inReplyTo: first.id, inReplyToExternalId: '3EB0A1B2C3D4E5F60718' });
    // A quote of something Chatwoot never saw: Chatwoot sets both keys to null.
    const orphan = await client.createMessage(conversation.id, {
      content: '?',
      messageType: 'incoming',
      sourceId: 'X1',
      inReplyToExternalId: 'UNKNOWN',
    });
    expect(orphan.contentAttributes).toMatchObject({ inReplyTo: null, inReplyToExternalId: null });
    expect(sim.messages(conversation.id).map((m) => [m.messageType, m.senderType, m.sourceId])).toEqual([
      ['incoming', 'Contact', '3EB0A1B2C3D4E5F60718'],
      ['incoming', 'Contact', '3EB0FFFF'],
      ['incoming', 'Contact', 'X1'],
    ]);
    expect(sent('POST', /\/messages$/)[1]?.body).toEqual({
      content: 'Esse aqui ☝️',
      message_type: 'incoming',
      private: false,
      content_type: 'text',
      source_id: '3EB0FFFF',
      content_attributes: { in_reply_to_external_id: '3EB0A1B2C3D4E5F60718' },
    });
  });

  it('creates phone-side echoes, quoted agent-side replies and private notes', async () => {
    const { conversation } = await contactWithConversation();
    const customer = await client.createMessage(conversation.id, { content: 'oi', messageType: 'incoming', sourceId: 'C1' });
    const echo = await client.createMessage(conversation.id, {
      content: 'respondi pelo celular',
      messageType: 'outgoing',
      sourceId: 'E1',
      externalEcho: true,
      inReplyTo: customer.id,
    });
    expect(echo.contentAttributes).toMatchObject({ externalEcho: true, inReplyTo: customer.id, inReplyToExternalId: 'C1' });
    const note = await client.createPrivateNote(conversation.id, 'Este contato não suporta reações');
    expect(note).toMatchObject({ private: true, messageType: 'outgoing', sourceId: null });
    expect(sim.messages(conversation.id).map((m) => [m.messageType, m.private, m.senderType, m.sourceId])).toEqual([
      ['incoming', false, 'Contact', 'C1'],
      ['outgoing', false, 'User', 'E1'],
      ['outgoing', true, 'User', null],
    ]);
  });

  it('uploads media as multipart so images, voice notes, videos and documents render as such', async () => {
    const { conversation } = await contactWithConversation();
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);
    const ogg = Buffer.from('OggS-voice');
    const mp4 = Buffer.from('....ftypisom');
    const pdf = Buffer.from('%PDF-1.7');
    const image = await client.createMessage(conversation.id, {
      content: 'foto do produto',
      messageType: 'incoming',
      sourceId: 'IMG1',
      inReplyToExternalId: 'nothing',
      attachments: [{ data: jpeg, fileName: 'foto', contentType: 'image/jpg' }],
    });
    const voice = await client.createMessage(conversation.id, {
      messageType: 'incoming',
      sourceId: 'PTT1',
      isVoiceMessage: true,
      attachments: [{ data: ogg, contentType: 'audio/ogg; codecs=opus' }],
    });
    await client.createMessage(conversation.id, {
      messageType: 'incoming',
      sourceId: 'DOCS',
      attachments: [
        { data: mp4, fileName: 'clip.mp4', contentType: 'video/mp4' },
        { data: pdf, fileName: 'nota fiscal.pdf', contentType: 'application/octet-stream' },
      ],
    });
    expect(
      sim
        .messages(conversation.id)
        .flatMap((m) => m.attachments.map((a) => [m.sourceId, a.fileType, a.contentType, a.fileName, a.isVoiceMessage])),
    ).toEqual([
      ['IMG1', 'image', 'image/jpeg', 'foto.jpg', false],
      ['PTT1', 'audio', 'audio/ogg', 'audio.ogg', true],
      ['DOCS', 'video', 'video/mp4', 'clip.mp4', false],
      ['DOCS', 'file', 'application/pdf', 'nota fiscal.pdf', false],
    ]);
    expect(image.attachments).toMatchObject([
      { fileType: 'image', fileName: 'foto.jpg', contentType: 'image/jpeg', fileSize: jpeg.length },
    ]);
    expect(voice.attachments[0]?.fileType).toBe('audio');

    const multipart = sent('POST', /\/messages$/).map((r) => r.multipart);
    expect(multipart[0]?.fields).toEqual({
      content: 'foto do produto',
      message_type: 'incoming',
      private: 'false',
      content_type: 'text',
      source_id: 'IMG1',
      content_attributes: '{"in_reply_to_external_id":"nothing"}',
    });
    expect(multipart[1]?.fields).toMatchObject({ content: '', is_voice_message: 'true', source_id: 'PTT1' });
    expect(multipart[2]?.files.map((f) => [f.field, f.fileName, f.contentType, f.size])).toEqual([
      ['attachments[]', 'clip.mp4', 'video/mp4', mp4.length],
      ['attachments[]', 'nota fiscal.pdf', 'application/pdf', pdf.length],
    ]);

    // data_url is a redirect to the stored bytes, as Chatwoot's ActiveStorage routes are.
    const download = await fetch(image.attachments[0]?.dataUrl as string);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('image/jpeg');
    expect(Buffer.from(await download.arrayBuffer()).equals(jpeg)).toBe(true);
  });

  it('refuses more than 15 attachments or an empty message before calling Chatwoot', async () => {
    const { conversation } = await contactWithConversation();
    const before = sim.requests().length;
    const many = Array.from({ length: 16 }, (_, i) => ({ data: Buffer.from([i]), fileName: `${i}.png`, contentType: 'image/png' }));
    await expect(client.createMessage(conversation.id, { messageType: 'incoming', attachments: many })).rejects.toMatchObject({
      code: 'VALIDATION',
      message: 'Chatwoot accepts at most 15 attachments per message',
    });
    await expect(client.createMessage(conversation.id, { messageType: 'incoming' })).rejects.toMatchObject({ code: 'VALIDATION' });
    expect(sim.requests()).toHaveLength(before);
  });

  it('updates ticks: delivered, read, failed with the provider error; never read back to delivered', async () => {
    const { conversation } = await contactWithConversation();
    const reply = await client.createMessage(conversation.id, { content: 'Seu pedido saiu', messageType: 'outgoing', sourceId: 'WA1' });
    expect((await client.updateMessageStatus(conversation.id, reply.id, 'delivered')).status).toBe('delivered');
    expect((await client.updateMessageStatus(conversation.id, reply.id, 'read')).status).toBe('read');
    expect((await client.updateMessageStatus(conversation.id, reply.id, 'delivered')).status).toBe('read');
    const other = await client.createMessage(conversation.id, { content: 'Segunda', messageType: 'outgoing' });
    const failed = await client.updateMessageStatus(conversation.id, other.id, 'failed', '131026: Message undeliverable');
    expect(failed).toMatchObject({ status: 'failed', contentAttributes: { externalError: '131026: Message undeliverable' } });
    const retried = await client.updateMessageStatus(conversation.id, other.id, 'sent', 'ignored unless failed');
    expect(retried).toMatchObject({ status: 'sent', contentAttributes: { externalError: null } });
    expect(sent('PATCH', /\/messages\/\d+$/).map((r) => r.body)).toEqual([
      { status: 'delivered' },
      { status: 'read' },
      { status: 'delivered' },
      { status: 'failed', external_error: '131026: Message undeliverable' },
      { status: 'sent' },
    ]);
  });

  it('deletes a message the way Chatwoot does and lists messages after a cursor', async () => {
    const { conversation } = await contactWithConversation();
    const a = await client.createMessage(conversation.id, { content: 'um', messageType: 'incoming', sourceId: 'A' });
    const b = await client.createMessage(conversation.id, {
      content: 'dois',
      messageType: 'outgoing',
      attachments: [{ data: Buffer.from('x'), fileName: 'x.png', contentType: 'image/png' }],
    });
    const deleted = await client.deleteMessage(conversation.id, b.id);
    expect(deleted).toMatchObject({ id: b.id, content: 'This message was deleted', attachments: [], contentAttributes: { deleted: true } });
    expect((await client.listMessages(conversation.id, { after: a.id })).map((m) => [m.id, m.content])).toEqual([
      [b.id, 'This message was deleted'],
    ]);
    expect((await client.listMessages(conversation.id)).map((m) => m.id)).toEqual([a.id, b.id]);
  });
});

describe('contact-side signals through the public API', () => {
  it('shows the contact typing and marks agent messages read, without sending the user token', async () => {
    const { inbox: ib, conversation } = await contactWithConversation();
    const ref = { inboxIdentifier: ib.identifier, contactSourceId: SOURCE, conversationId: conversation.id };
    const incoming = await client.createMessage(conversation.id, { content: 'oi', messageType: 'incoming', sourceId: 'IN1' });
    const r1 = await client.createMessage(conversation.id, { content: 'olá', messageType: 'outgoing' });
    const r2 = await client.createMessage(conversation.id, { content: 'tudo bem?', messageType: 'outgoing' });
    await client.updateMessageStatus(conversation.id, r2.id, 'delivered');
    await client.contactTyping(ref, true);
    await client.contactTyping(ref, false);
    await client.contactReadAll(ref);
    expect(sim.messages(conversation.id).map((m) => [m.id, m.status])).toEqual([
      [incoming.id, 'sent'],
      [r1.id, 'read'],
      [r2.id, 'read'],
    ]);
    const publicCalls = sim.requests({ path: /^\/public\// });
    expect(publicCalls.map((r) => [r.path.split('/').pop(), r.query.typing_status ?? null, r.body])).toEqual([
      ['toggle_typing', 'on', { typing_status: 'on' }],
      ['toggle_typing', 'off', { typing_status: 'off' }],
      ['update_last_seen', null, null],
    ]);
    expect(publicCalls.every((r) => r.headers.api_access_token === undefined)).toBe(true);
  });

  it('an unknown contact in the public API is a not_found error', async () => {
    const { inbox: ib, conversation } = await contactWithConversation();
    const err = await caught(
      client.contactTyping({ inboxIdentifier: ib.identifier, contactSourceId: '5599', conversationId: conversation.id }, true),
    );
    expect(err).toMatchObject({ kind: 'not_found', retryable: false, operation: 'public.toggle_typing' });
  });
});

describe('errors map to typed, token-free ChatwootErrors', () => {
  it('401 for a wrong token, with Chatwoot’s message', async () => {
    const wrong = new ChatwootClient({ baseUrl: sim.baseUrl, accountId: sim.accountId, userToken: 'not-the-token' });
    const err = await caught(wrong.listInboxes());
    expect(err).toBeInstanceOf(ChatwootError);
    expect(err).toMatchObject({
      kind: 'unauthorized',
      code: 'CHATWOOT_UNAUTHORIZED',
      httpStatus: 401,
      retryable: false,
      chatwootMessage: 'Invalid Access Token',
    });
    expect(err.message).toBe('Chatwoot answered 401 to inboxes.list: Invalid Access Token');
    const otherAccount = new ChatwootClient({ baseUrl: sim.baseUrl, accountId: 99, userToken: TOKEN });
    expect((await caught(otherAccount.listInboxes())).chatwootMessage).toBe('You are not authorized to access this account');
  });

  it('404 and 422 are not retryable; 422 keeps the attributes', async () => {
    expect(await caught(client.getConversation(4242))).toMatchObject({ kind: 'not_found', httpStatus: 404, retryable: false });
    const ib = inbox();
    sim.createContact({ name: 'Maria', phoneNumber: PHONE });
    const err = await caught(client.createContact({ inboxId: ib.id, sourceId: SOURCE, name: 'Maria', phoneNumber: PHONE }));
    expect(err).toMatchObject({ kind: 'unprocessable', httpStatus: 422, retryable: false, attributes: ['phone_number'] });
    expect(err.chatwootMessage).toBe('Phone number has already been taken');
    expect(err.isTaken('phone_number')).toBe(true);
    expect(err.isTaken('email')).toBe(false);
    // Devise-style `errors` arrays are joined into one message.
    sim.fail({ path: '/inboxes', status: 422, body: { errors: ['Name is invalid', 'Channel is missing'] } });
    expect((await caught(client.listInboxes())).chatwootMessage).toBe('Name is invalid; Channel is missing');
  });

  it('Chatwoot’s flood guard (422 "Too many messages") is surfaced as such', async () => {
    const flooded = await startChatwootSimulator({ userToken: TOKEN, messageFloodLimit: 2 });
    try {
      const c = new ChatwootClient({ baseUrl: flooded.baseUrl, accountId: 1, userToken: TOKEN });
      const ib = flooded.createInbox({ name: 'x' });
      const contact = flooded.createContact({ name: 'M', inboxId: ib.id, sourceId: SOURCE });
      const conv = flooded.createConversation({ inboxId: ib.id, contactId: contact.id, sourceId: SOURCE });
      await c.createMessage(conv.id, { content: '1', messageType: 'incoming' });
      await c.createMessage(conv.id, { content: '2', messageType: 'incoming' });
      const err = await caught(c.createMessage(conv.id, { content: '3', messageType: 'incoming' }));
      expect(err).toMatchObject({ kind: 'unprocessable', chatwootMessage: 'Validation failed: Too many messages', retryable: false });
    } finally {
      await flooded.close();
    }
  });

  it('429 exposes Retry-After in milliseconds and is retryable', async () => {
    sim.fail({ path: '/inboxes', status: 429, body: 'Retry later\n', headers: { 'retry-after': '7' } });
    const err = await caught(client.listInboxes());
    expect(err).toMatchObject({
      kind: 'rate_limited',
      httpStatus: 429,
      retryable: true,
      retryAfterMs: 7000,
      chatwootMessage: 'Retry later',
    });
    const at = new Date(Date.now() + 30_000).toUTCString();
    sim.fail({ path: '/inboxes', status: 429, headers: { 'retry-after': at } });
    const dated = await caught(client.listInboxes());
    expect(dated.retryAfterMs).toBeGreaterThan(20_000);
    expect(dated.retryAfterMs).toBeLessThanOrEqual(30_000);
  });

  it('429 from Rack::Attack without Retry-After waits for the end of the current minute window', async () => {
    const limited = await startChatwootSimulator({ userToken: TOKEN, rateLimitPerMinute: 2 });
    try {
      const c = new ChatwootClient({ baseUrl: limited.baseUrl, accountId: 1, userToken: TOKEN });
      const errors: ChatwootError[] = [];
      // The window may roll over between calls, so keep calling until the limit bites (bounded).
      for (let i = 0; i < 10 && errors.length === 0; i++) {
        await c.listInboxes().catch((e: ChatwootError) => errors.push(e));
      }
      const err = errors[0] as ChatwootError;
      expect(err).toMatchObject({ kind: 'rate_limited', httpStatus: 429, chatwootMessage: 'Retry later', retryable: true });
      expect(err.retryAfterMs).toBeGreaterThan(0);
      expect(err.retryAfterMs).toBeLessThanOrEqual(60_000);
    } finally {
      await limited.close();
    }
  });

  it('5xx is retryable and keeps Chatwoot’s text', async () => {
    for (const status of [500, 502, 503]) {
      sim.fail({ path: '/inboxes', status, body: { status, error: 'Internal Server Error' } });
      expect(await caught(client.listInboxes())).toMatchObject({
        kind: 'server',
        httpStatus: status,
        retryable: true,
        chatwootMessage: 'Internal Server Error',
      });
    }
  });

  it('a hanging response is a retryable timeout', async () => {
    const fast = new ChatwootClient({ baseUrl: sim.baseUrl, accountId: sim.accountId, userToken: TOKEN, timeoutMs: 250 });
    sim.fail({ path: '/inboxes', hang: true });
    const err = await caught(fast.listInboxes());
    expect(err).toMatchObject({ kind: 'timeout', code: 'CHATWOOT_TIMEOUT', retryable: true, httpStatus: undefined, status: 504 });
    expect(err.message).toBe('Chatwoot did not answer inboxes.list within 250 ms');
    // A slow answer inside the deadline is fine.
    sim.fail({ path: '/inboxes', delayMs: 50 });
    expect(await fast.listInboxes()).toEqual([]);
  });

  it('a dropped connection and a refused one are retryable network errors', async () => {
    sim.fail({ path: '/inboxes', reset: true });
    expect(await caught(client.listInboxes())).toMatchObject({ kind: 'network', retryable: true, operation: 'inboxes.list' });
    const port = await new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as { port: number };
        server.close(() => resolve(p));
      });
    });
    const nowhere = new ChatwootClient({ baseUrl: `http://127.0.0.1:${port}`, accountId: 1, userToken: TOKEN });
    const refused = await caught(nowhere.listInboxes());
    expect(refused).toMatchObject({ kind: 'network', retryable: true });
    expect(refused.message).toBe('Chatwoot unreachable for inboxes.list (ECONNREFUSED)');
  });

  it('a 2xx that is not JSON or not Chatwoot’s shape is invalid_response', async () => {
    sim.fail({ path: '/inboxes', status: 200, body: '<html>proxy login</html>' });
    expect(await caught(client.listInboxes())).toMatchObject({ kind: 'invalid_response', retryable: true });
    sim.fail({ path: '/inboxes', status: 200, body: { data: [] } });
    expect((await caught(client.listInboxes())).message).toMatch(/unexpected shape \(payload: /);
  });

  it('the user token never reaches an error or a log line', async () => {
    sim.fail({ path: '/inboxes', status: 500, body: { error: `token ${TOKEN} is broken` } });
    const err = await caught(client.listInboxes());
    expect(err.chatwootMessage).toBe('token [redacted] is broken');
    const lines: string[] = [];
    const logger = createLogger({ level: 'info' }, { write: (line: string) => lines.push(line) });
    logger.error({ err, client, conversation: { api_access_token: TOKEN } }, 'chatwoot call failed');
    for (const text of [
      err.message,
      String(err),
      err.stack ?? '',
      JSON.stringify(err),
      JSON.stringify(client),
      inspect(client),
      inspect(err),
      ...lines,
    ]) {
      expect(text).not.toContain(TOKEN);
    }
    expect(lines.join('')).toContain('chatwoot call failed');
  });
});

describe('the OpenAPI request check', () => {
  it('rejects requests the spec forbids (so a green check means something)', () => {
    const base = { query: {}, at: 0, headers: { api_access_token: 't', 'content-type': 'application/json' } };
    const bad = (method: string, path: string, body: unknown, headers: Record<string, string> = base.headers) =>
      validator.validate({ ...base, method, path, body, headers }).errors;
    expect(bad('POST', '/api/v1/accounts/1/conversations/5/toggle_status', { status: 'closed' })).not.toEqual([]);
    expect(bad('POST', '/api/v1/accounts/1/conversations/5/messages', { content: 'x', message_type: 'sideways' })).not.toEqual([]);
    expect(bad('POST', '/api/v1/accounts/1/contacts', { name: 'no inbox id' })).not.toEqual([]);
    expect(
      bad('POST', '/api/v1/accounts/1/contacts/filter', { payload: [{ attribute_key: 'phone_number', query_operator: null }] }),
    ).not.toEqual([]);
    expect(bad('GET', '/api/v1/accounts/1/inboxes', null, {})).toEqual(['missing api_access_token header']);
    expect(bad('POST', '/api/v1/accounts/1/nonexistent', {})[0]).toMatch(/matches no operation/);
    expect(bad('PATCH', '/api/v1/accounts/1/conversations/5/messages/9', { status: 'seen' })).not.toEqual([]);
    expect(bad('POST', '/public/api/v1/inboxes/abc/contacts/55/conversations/5/toggle_typing', { typing_status: 'on' })).toEqual(
      expect.arrayContaining(['query typing_status is required', 'sends the user token to a public endpoint']),
    );
  });

  it('every operation the client uses was exercised and matched; undocumented ones are exactly the named exceptions', () => {
    const expected = [
      'GET /api/v1/accounts/{account_id}/inboxes',
      'POST /api/v1/accounts/{account_id}/inboxes',
      'PATCH /api/v1/accounts/{account_id}/inboxes/{id}',
      'POST /api/v1/accounts/{account_id}/contacts',
      'PUT /api/v1/accounts/{account_id}/contacts/{id}',
      'POST /api/v1/accounts/{account_id}/contacts/filter',
      'POST /api/v1/accounts/{account_id}/contacts/{id}/contact_inboxes',
      'GET /api/v1/accounts/{account_id}/contacts/{id}/conversations',
      'POST /api/v1/accounts/{account_id}/conversations',
      'GET /api/v1/accounts/{account_id}/conversations/{conversation_id}',
      'POST /api/v1/accounts/{account_id}/conversations/{conversation_id}/toggle_status',
      'POST /api/v1/accounts/{account_id}/conversations/{conversation_id}/toggle_typing_status',
      'GET /api/v1/accounts/{account_id}/conversations/{conversation_id}/messages',
      'POST /api/v1/accounts/{account_id}/conversations/{conversation_id}/messages',
      'DELETE /api/v1/accounts/{account_id}/conversations/{conversation_id}/messages/{message_id}',
      'POST /public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/toggle_typing',
      'POST /public/api/v1/inboxes/{inbox_identifier}/contacts/{contact_identifier}/conversations/{conversation_id}/update_last_seen',
      ...UNDOCUMENTED_OPERATIONS.map((u) => `${u.method} ${u.template} (undocumented)`),
    ];
    expect([...covered].sort()).toEqual(expected.sort());
  });
});
