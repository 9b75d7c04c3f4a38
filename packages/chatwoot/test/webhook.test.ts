import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  apiMessageSchema,
  ChatwootWebhookError,
  contactCreateResponseSchema,
  conversationSchema,
  parseChatwootWebhook,
  toContact,
  toContactInbox,
  toConversation,
  toMessage,
} from '../src/index.ts';
import { CONTRACTS } from './openapi-validator.ts';

const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(path.join(CONTRACTS, 'fixtures', name), 'utf8'));
const raw = (name: string): string => readFileSync(path.join(CONTRACTS, 'fixtures', name), 'utf8');

const unquoted = (raw: Record<string, unknown>) => ({
  inReplyTo: null,
  inReplyToExternalId: null,
  deleted: false,
  externalEcho: false,
  externalError: null,
  raw,
});

const conversation1234 = {
  id: 1234,
  inboxId: 7,
  accountId: 1,
  channel: 'Channel::Api',
  contactId: 42,
  contactSourceId: '5511987654321',
};

describe('parseChatwootWebhook: every webhook fixture, field by field', () => {
  it('message_created, incoming (the Hub’s own insert)', () => {
    const event = parseChatwootWebhook(raw('webhook-message-created-incoming.json'));
    if (event.event !== 'message_created') throw new Error(`unexpected ${event.event}`);
    expect(event.message).toEqual({
      id: 99001,
      content: 'Olá! Gostaria de saber o status do meu pedido #4521.',
      contentType: 'text',
      messageType: 'incoming',
      private: false,
      sourceId: '3EB0A1B2C3D4E5F60718',
      createdAt: '2026-06-20T14:00:06.215Z',
      status: 'sent',
      inboxId: 7,
      accountId: 1,
      conversation: { ...conversation1234, status: 'open', labels: [] },
      sender: { kind: 'contact', id: 42, name: 'Maria Silva', email: null },
      attachments: [],
      contentAttributes: unquoted({ external_created_at: 1781964005 }),
    });
  });

  it('message_created, outgoing agent reply quoting the customer', () => {
    const event = parseChatwootWebhook(fixture('webhook-message-created-outgoing.json'));
    if (event.event !== 'message_created') throw new Error(`unexpected ${event.event}`);
    const m = event.message;
    expect(m.id).toBe(99002);
    expect(m.content).toBe('Oi, Maria! Seu pedido #4521 saiu para entrega hoje e chega até as 18h.');
    expect(m.messageType).toBe('outgoing');
    expect(m.private).toBe(false);
    expect(m.sourceId).toBeNull();
    expect(m.status).toBe('sent');
    expect(m.createdAt).toBe('2026-06-20T14:02:31.877Z');
    expect(m.inboxId).toBe(7);
    expect(m.conversation).toEqual({ ...conversation1234, status: 'open', labels: [] });
    expect(m.sender).toEqual({ kind: 'user', id: 3, name: 'João Pereira', email: 'joao@acme.example' });
    expect(m.attachments).toEqual([]);
    expect(m.contentAttributes).toEqual({
      inReplyTo: 99001,
      inReplyToExternalId: '3EB0A1B2C3D4E5F60718',
      deleted: false,
      externalEcho: false,
      externalError: null,
      raw: { in_reply_to: 99001, in_reply_to_external_id: '3EB0A1B2C3D4E5F60718' },
    });
  });

  it('message_created with an image attachment and caption', () => {
    const event = parseChatwootWebhook(fixture('webhook-message-created-attachment.json'));
    if (event.event !== 'message_created') throw new Error(`unexpected ${event.event}`);
    const m = event.message;
    expect(m.id).toBe(99003);
    expect(m.content).toBe('Segue o comprovante de envio 📦');
    expect(m.messageType).toBe('outgoing');
    expect(m.sourceId).toBeNull();
    expect(m.sender).toEqual({ kind: 'user', id: 3, name: 'João Pereira', email: 'joao@acme.example' });
    expect(m.contentAttributes.inReplyTo).toBeNull();
    expect(m.attachments).toEqual([
      {
        id: 555,
        fileType: 'image',
        dataUrl:
          'https://chatwoot.acme.example/rails/active_storage/blobs/redirect/eyJfcmFpbHMiOnsiZGF0YSI6MTIzNDUsInB1ciI6ImJsb2JfaWQifX0=--3f1c0e9d8b7a6f5e4d3c2b1a09f8e7d6c5b4a392/comprovante.jpg',
        thumbUrl: expect.stringContaining('/rails/active_storage/representations/redirect/'),
        fileName: 'comprovante.jpg',
        extension: 'jpg',
        contentType: 'image/jpeg',
        fileSize: 184233,
        fallbackTitle: null,
        coordinates: null,
      },
    ]);
  });

  it('conversation_status_changed (changed_attributes null; the new status is read from status)', () => {
    const event = parseChatwootWebhook(fixture('webhook-conversation-status-changed.json'));
    expect(event).toEqual({
      event: 'conversation_status_changed',
      status: 'resolved',
      conversation: { ...conversation1234, status: 'resolved', labels: ['entrega'] },
    });
  });

  it('conversation_typing_on from an agent in the dashboard', () => {
    const event = parseChatwootWebhook(fixture('webhook-conversation-typing-on.json'));
    expect(event).toEqual({
      event: 'conversation_typing_on',
      isPrivate: false,
      user: { kind: 'user', id: 3, name: 'João Pereira', email: 'joao@acme.example' },
      conversation: { ...conversation1234, status: 'open', labels: [] },
    });
  });
});

describe('parseChatwootWebhook: variants built from the fixtures', () => {
  it('a contact typing through the public API has no `type` and is reported as the contact', () => {
    const body = fixture('webhook-conversation-typing-on.json');
    const contact = (fixture('webhook-message-created-incoming.json') as { sender: unknown }).sender;
    const event = parseChatwootWebhook({ ...body, event: 'conversation_typing_off', user: contact, is_private: false });
    expect(event).toMatchObject({ event: 'conversation_typing_off', user: { kind: 'contact', id: 42, name: 'Maria Silva', email: null } });
  });

  it('an agent typing a private note says so', () => {
    const event = parseChatwootWebhook({ ...fixture('webhook-conversation-typing-on.json'), is_private: true });
    expect(event).toMatchObject({ event: 'conversation_typing_on', isPrivate: true });
  });

  it('message_updated for an agent deletion carries content_attributes.deleted', () => {
    const body = {
      ...fixture('webhook-message-created-outgoing.json'),
      event: 'message_updated',
      content: 'This message was deleted',
      content_attributes: { deleted: true },
    };
    const event = parseChatwootWebhook(body);
    if (event.event !== 'message_updated') throw new Error(`unexpected ${event.event}`);
    expect(event.message.contentAttributes.deleted).toBe(true);
    expect(event.message.contentAttributes.inReplyTo).toBeNull();
    expect(event.message.content).toBe('This message was deleted');
  });

  it('private notes, template messages without sender, integer message types and empty source ids', () => {
    const base = fixture('webhook-message-created-outgoing.json');
    const note = parseChatwootWebhook({ ...base, private: true });
    expect(note.event === 'message_created' && note.message.private).toBe(true);
    const template = parseChatwootWebhook({ ...base, message_type: 'template', sender: null, source_id: '' });
    if (template.event !== 'message_created') throw new Error('expected message_created');
    expect(template.message.messageType).toBe('template');
    expect(template.message.sender).toBeNull();
    expect(template.message.sourceId).toBeNull();
    const numeric = parseChatwootWebhook({ ...base, message_type: 3 });
    expect(numeric.event === 'message_created' && numeric.message.messageType).toBe('template');
    const activity = parseChatwootWebhook({ ...base, message_type: 'activity' });
    expect(activity.event === 'message_created' && activity.message.messageType).toBe('activity');
  });

  it('anything else is `other`, including account-level and conversation_updated events', () => {
    expect(parseChatwootWebhook({ ...fixture('webhook-conversation-status-changed.json'), event: 'conversation_updated' })).toEqual({
      event: 'other',
      name: 'conversation_updated',
    });
    expect(parseChatwootWebhook({ event: 'contact_created', id: 42 })).toEqual({ event: 'other', name: 'contact_created' });
    expect(parseChatwootWebhook({ event: 'webwidget_triggered' })).toEqual({ event: 'other', name: 'webwidget_triggered' });
  });
});

describe('parseChatwootWebhook: malformed bodies give clear errors', () => {
  const expectError = (body: unknown, message: RegExp) => {
    let thrown: unknown;
    try {
      parseChatwootWebhook(body);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ChatwootWebhookError);
    expect((thrown as ChatwootWebhookError).code).toBe('VALIDATION');
    expect((thrown as ChatwootWebhookError).status).toBe(400);
    expect((thrown as Error).message).toMatch(message);
    return thrown as ChatwootWebhookError;
  };

  it('not JSON, not an object, no event', () => {
    expectError('{"event": "message_created", ', /not JSON/);
    expectError([1, 2], /not an object/);
    expectError(null, /not an object/);
    expectError({ id: 1 }, /no "event"/);
  });

  it('a message event with a missing id or a wrong type names the path, never the value', () => {
    const base = fixture('webhook-message-created-incoming.json');
    const { id: _id, ...withoutId } = base;
    const err = expectError(withoutId, /malformed Chatwoot message_created webhook: id:/);
    expect(err.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'id' })]));
    expectError({ ...base, message_type: 'sideways' }, /message_type/);
    const secretish = { ...base, conversation: { ...(base.conversation as object), id: 'tok_ABCDEF_should_not_echo' } };
    const leak = expectError(secretish, /conversation\.id/);
    expect(JSON.stringify({ message: leak.message, details: leak.details })).not.toContain('tok_ABCDEF_should_not_echo');
  });

  it('typing and status events without a conversation', () => {
    expectError({ event: 'conversation_typing_on', user: null }, /conversation/);
    expectError({ event: 'conversation_status_changed', id: 1, inbox_id: 7, status: 'closed' }, /status/);
  });
});

describe('API response fixtures parse with the client’s schemas, field by field', () => {
  it('contact-create-response.json', () => {
    const res = contactCreateResponseSchema.parse(fixture('contact-create-response.json'));
    expect(toContact(res.payload.contact)).toEqual({
      id: 42,
      name: 'Maria Silva',
      email: null,
      phoneNumber: '+5511987654321',
      identifier: '5511987654321@s.whatsapp.net',
      blocked: false,
      customAttributes: { provider: 'evolution' },
      additionalAttributes: {},
      contactInboxes: [{ sourceId: '5511987654321', inboxId: 7 }],
    });
    expect(res.payload.contact_inbox && toContactInbox(res.payload.contact_inbox)).toEqual({ sourceId: '5511987654321', inboxId: 7 });
  });

  it('conversation-create-response.json', () => {
    expect(toConversation(conversationSchema.parse(fixture('conversation-create-response.json')))).toEqual({
      id: 1234,
      inboxId: 7,
      status: 'open',
      contactId: 42,
      lastActivityAt: 1781964005,
    });
  });

  it('message-create-response.json (integer message_type)', () => {
    expect(toMessage(apiMessageSchema.parse(fixture('message-create-response.json')))).toEqual({
      id: 99001,
      conversationId: 1234,
      inboxId: 7,
      messageType: 'incoming',
      content: 'Olá! Gostaria de saber o status do meu pedido #4521.',
      contentType: 'text',
      status: 'sent',
      private: false,
      sourceId: '3EB0A1B2C3D4E5F60718',
      contentAttributes: unquoted({ external_created_at: 1781964005 }),
      createdAt: 1781964006,
      attachments: [],
    });
  });
});
