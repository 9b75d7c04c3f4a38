// Variants the captures do not cover but the contract warns about (uazapi.md §d, §f): unstable field
// types, LID-only chats, envelope shapes that are not the real one, receipts of our own devices,
// call events, and message kinds decided by `mediaType`/`content` rather than `type`.
import type { CanonicalEvent, MessageEvent } from '@whatpro/domain';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../src/errors.ts';
import { createUazapiAdapter } from '../src/uazapi/adapter.ts';
import { uazapiFixture } from './uazapi-fixtures.ts';

const NOW = 1_800_000_000_000;
const adapter = createUazapiAdapter({ baseUrl: 'http://uazapi.invalid', adminToken: 'unused', now: () => NOW });
const envelope = { BaseUrl: 'https://x.uazapi.com', instanceName: 'inst', owner: '5511900001111', token: 'tok' };

function events(body: unknown): CanonicalEvent[] {
  return adapter.parseWebhook(body).events;
}
/** The captured inbound text with some `message` fields replaced. */
function messageWith(fields: Record<string, unknown>, top: Record<string, unknown> = {}): MessageEvent {
  const base = uazapiFixture<{ message: Record<string, unknown> }>('webhook-message-text.json');
  const list = events({ ...base, ...top, message: { ...base.message, ...fields } });
  expect(list).toHaveLength(1);
  expect(list[0]?.kind).toBe('message');
  return list[0] as MessageEvent;
}

describe('Uazapi webhook parsing: envelope', () => {
  it('refuses a body that is not a JSON object', () => {
    for (const body of [null, 'text', 42, [1, 2]]) {
      const error = (() => {
        try {
          adapter.parseWebhook(body);
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(ProviderError);
      expect((error as ProviderError).kind).toBe('bad_request');
    }
  });

  it("acknowledges the spec's {event, instance, data} shape and unknown events without mapping them", () => {
    expect(adapter.parseWebhook({ event: 'message', instance: 'inst', data: { text: 'x' } })).toEqual({
      instanceKey: '',
      events: [],
      ignored: ['unknown'],
    });
    expect(adapter.parseWebhook({ ...envelope, EventType: 'history', messages: [] })).toEqual({
      instanceKey: 'inst',
      instanceToken: 'tok',
      events: [],
      ignored: ['history'],
    });
    expect(adapter.parseWebhook({ ...envelope, EventType: 'messages' }).ignored).toEqual(['messages:no-id']);
  });

  it('a body without token has no instanceToken (the Hub then relies on the path secret alone)', () => {
    const { token, ...rest } = envelope;
    expect(token).toBe('tok');
    expect(adapter.parseWebhook({ ...rest, EventType: 'chats' })).toEqual({ instanceKey: 'inst', events: [], ignored: ['chats'] });
  });
});

describe('Uazapi webhook parsing: messages', () => {
  it('reads booleans and timestamps of any type', () => {
    const ev = messageWith({ fromMe: 'False', isGroup: 'false', wasSentByApi: 'True', messageTimestamp: '1770146178' });
    expect(ev.fromMe).toBe(false);
    expect(ev.chat.isGroup).toBe(false);
    expect(ev.fromApi).toBe(true);
    expect(ev.timestamp).toBe(1770146178000);
    expect(messageWith({ messageTimestamp: '2026-02-03T19:16:18Z' }).timestamp).toBe(Date.parse('2026-02-03T19:16:18Z'));
    expect(messageWith({ messageTimestamp: '' }).timestamp).toBe(NOW);
  });

  it('a LID-only chat keeps the LID as the chat and the phone alternate from sender_pn', () => {
    const ev = messageWith({ chatid: '138401042923712@lid', chatlid: '' }, { chat: undefined });
    expect(ev.chat).toEqual({
      jid: '138401042923712@lid',
      isGroup: false,
      lid: '138401042923712@lid',
      phoneE164: '+40723973035',
      name: 'Tito Bahé',
    });
    expect(ev.sender).toEqual({
      jid: '40723973035@s.whatsapp.net',
      phoneE164: '+40723973035',
      lid: '138401042923712@lid',
      name: 'Tito Bahé',
    });
  });

  it('a Brazilian 8-digit chat id is reported in the canonical 9-digit E.164 form, the JID as given', () => {
    const ev = messageWith({ chatid: '551187654321@s.whatsapp.net', sender_pn: '551187654321@s.whatsapp.net' }, { chat: undefined });
    expect(ev.chat.jid).toBe('551187654321@s.whatsapp.net');
    expect(ev.chat.phoneE164).toBe('+5511987654321');
    expect(ev.sender.phoneE164).toBe('+5511987654321');
  });

  it('a device suffix on the sender is dropped; a group without a subject falls back to the chat name', () => {
    const ev = messageWith(
      {
        chatid: '120363000000000009@g.us',
        isGroup: true,
        groupName: 'Unknown',
        sender: '5511912345678:7@s.whatsapp.net',
        sender_pn: '',
        sender_lid: '',
      },
      { chat: { name: 'Família' } },
    );
    expect(ev.chat).toEqual({ jid: '120363000000000009@g.us', isGroup: true, name: 'Família' });
    expect(ev.sender).toEqual({ jid: '5511912345678@s.whatsapp.net', phoneE164: '+5511912345678', name: 'Tito Bahé' });
  });

  it('reply target as an object, mentions and forwarded flag from contextInfo', () => {
    const ev = messageWith({
      quoted: { messageid: 'QUOTED1' },
      content: {
        text: 'oi @5511',
        contextInfo: { mentionedJid: ['5511912345678@s.whatsapp.net', 'x'], isForwarded: true, participant: 'p@lid' },
      },
    });
    expect(ev.replyTo).toEqual({ id: 'QUOTED1', chatJid: '40723973035@s.whatsapp.net' });
    expect(ev.mentions).toEqual(['5511912345678@s.whatsapp.net']);
    expect(ev.forwarded).toBe(true);
    const group = messageWith({
      chatid: '120363000000000009@g.us',
      isGroup: true,
      quoted: 'Q2',
      content: { text: 'x', contextInfo: { participant: '99@lid' } },
    });
    expect(group.replyTo).toEqual({ id: 'Q2', chatJid: '120363000000000009@g.us', participant: '99@lid' });
  });

  it('media is decided by mediaType or content, not by `type` (uazapi.md §f.6)', () => {
    const image = messageWith({
      type: 'text',
      messageType: 'ExtendedTextMessage',
      mediaType: 'image',
      text: 'legenda',
      content: { URL: 'https://mmg.whatsapp.net/x.enc', mimetype: 'image/png', fileLength: { low: 5, high: 1, unsigned: true } },
    });
    expect(image.content).toEqual({
      type: 'image',
      caption: 'legenda',
      media: { mimeType: 'image/png', sizeBytes: 2 ** 32 + 5, handle: { messageId: 'AC98212CD4909DE6799E78D93A824A3F' } },
    });
    const byMime = messageWith({
      type: 'media',
      messageType: 'SomethingNew',
      mediaType: '',
      text: '',
      content: { URL: 'https://mmg/x.enc', mimetype: 'audio/mpeg' },
    });
    expect(byMime.content.type).toBe('audio');
    const gif = messageWith({
      messageType: 'VideoMessage',
      mediaType: 'gif',
      text: '',
      content: { mimetype: 'video/mp4', gifPlayback: true },
    });
    expect(gif.content.type).toBe('video');
    const linked = messageWith({
      messageType: 'ImageMessage',
      mediaType: 'image',
      text: '',
      fileURL: 'https://files.uazapi.com/x.jpg',
      content: { mimetype: 'image/jpeg' },
    });
    expect(linked.content).toMatchObject({ type: 'image', media: { url: 'https://files.uazapi.com/x.jpg' } });
    const wrapped = messageWith({
      messageType: 'DocumentWithCaptionMessage',
      mediaType: 'document',
      text: '',
      content: { message: { documentMessage: { mimetype: 'application/pdf', fileName: 'a.pdf', caption: 'veja' } } },
    });
    expect(wrapped.content).toEqual({
      type: 'document',
      caption: 'veja',
      media: { mimeType: 'application/pdf', fileName: 'a.pdf', handle: { messageId: 'AC98212CD4909DE6799E78D93A824A3F' } },
    });
  });

  it('revoke as a protocol message, several contacts, live location', () => {
    expect(messageWith({ messageType: 'ProtocolMessage', text: '', content: { type: 0, key: { ID: 'GONE1' } } }).content).toEqual({
      type: 'delete',
      target: { id: 'GONE1', chatJid: '40723973035@s.whatsapp.net' },
    });
    const cards = messageWith({
      messageType: 'ContactsArrayMessage',
      mediaType: 'contact_array',
      text: '',
      content: {
        contacts: [
          { displayName: 'A', vcard: 'BEGIN:VCARD\nFN:A\nTEL;type=CELL:+55 11 8765-4321\nEND:VCARD' },
          {
            vcard:
              'BEGIN:VCARD\nFN:B\nitem1.TEL;waid=5511912345678:+55 11 91234-5678\nitem2.TEL;waid=5511912345678:+55 11 91234-5678\nEND:VCARD',
          },
          'junk',
        ],
      },
    });
    expect(cards.content.type).toBe('contacts');
    if (cards.content.type === 'contacts') {
      expect(cards.content.contacts.map((c) => [c.name, c.phones])).toEqual([
        ['A', ['+5511987654321']],
        ['B', ['+5511912345678']],
      ]);
    }
    const live = messageWith({
      messageType: 'LiveLocationMessage',
      mediaType: '',
      text: '',
      content: { degreesLatitude: '1.5', degreesLongitude: 2, name: 'Aqui' },
    });
    expect(live.content).toEqual({ type: 'location', latitude: 1.5, longitude: 2, name: 'Aqui', live: true });
  });

  it('polls, buttons and unknown kinds become text the help desk can show', () => {
    expect(
      messageWith({ messageType: 'PollCreationMessageV3', type: 'poll', text: 'Praia ou campo?', convertOptions: 'Praia|Campo' }).content,
    ).toEqual({
      type: 'unsupported',
      description: 'poll',
      text: 'Praia ou campo?: Praia / Campo',
    });
    expect(
      messageWith({
        messageType: 'ButtonsResponseMessage',
        type: 'media',
        mediaType: '',
        text: '',
        vote: '',
        buttonOrListid: 'btn-1',
        content: {},
      }).content,
    ).toEqual({
      type: 'unsupported',
      description: 'button_response',
      text: 'btn-1',
    });
    expect(messageWith({ messageType: 'CallLogMessage', type: 'unknown', text: '', content: {} }).content).toEqual({
      type: 'unsupported',
      description: 'CallLogMessage',
    });
  });

  it('a reaction with an empty emoji is a removed reaction', () => {
    const ev = events(uazapiFixture('webhook-message-reaction.json'))[0] as MessageEvent;
    expect(ev.content).toMatchObject({ type: 'reaction', emoji: '❤️' });
    const removed = messageWith({
      type: 'reaction',
      messageType: 'ReactionMessage',
      reaction: '',
      text: '',
      content: { key: { ID: 'T9' }, text: '' },
    });
    expect(removed.content).toEqual({ type: 'reaction', target: { id: 'T9', chatJid: '40723973035@s.whatsapp.net' }, emoji: '' });
  });
});

describe('Uazapi webhook parsing: receipts, presence and calls', () => {
  const receipt = (state: string | undefined, event: Record<string, unknown>) =>
    adapter.parseWebhook({
      ...envelope,
      EventType: 'messages_update',
      type: 'ReadReceipt',
      state,
      event: { Chat: '5511999999999@s.whatsapp.net', ...event },
    });

  it('played, read by our own device, group receipts and ISO timestamps', () => {
    expect(receipt('Played', { MessageIDs: ['A'], IsFromMe: false, Timestamp: 1768046560 }).events[0]).toMatchObject({
      status: 'played',
      fromMe: true,
      timestamp: 1768046560000,
    });
    // Our own /message/markread comes back as `read` from our side: the messages are the contact's.
    expect(
      receipt('Read', { MessageIDs: ['B'], IsFromMe: 'True', Type: 'read', Timestamp: '2026-01-10T12:00:00Z' }).events[0],
    ).toMatchObject({
      status: 'read',
      fromMe: false,
      timestamp: Date.parse('2026-01-10T12:00:00Z'),
      chat: { jid: '5511999999999@s.whatsapp.net', isGroup: false, phoneE164: '+5511999999999' },
    });
    expect(
      receipt('Read', { Chat: '120363000000000001@g.us', IsGroup: 'True', MessageIDs: ['C'], Sender: '5511912345678@s.whatsapp.net' })
        .events[0],
    ).toMatchObject({
      chat: { jid: '120363000000000001@g.us', isGroup: true },
      messageIds: ['C'],
    });
  });

  it('ignores FileDownloaded, receipts without state, retries, self types and empty id lists', () => {
    expect(receipt('FileDownloaded', { MessageIDs: ['A'] }).ignored).toEqual(['messages_update:FileDownloaded']);
    expect(receipt(undefined, { MessageIDs: ['A'], Type: 'retry' }).ignored).toEqual(['messages_update:retry']);
    expect(receipt('Played', { MessageIDs: ['A'], Type: 'played-self' }).ignored).toEqual(['messages_update:Played']);
    expect(receipt('Read', { MessageIDs: [] }).events).toEqual([]);
    expect(receipt('Read', { MessageIDs: [] }).ignored).toEqual(['messages_update:Read']);
  });

  const presence = (event: Record<string, unknown> | undefined) =>
    adapter.parseWebhook({ ...envelope, EventType: 'presence', type: 'ChatPresence', event });

  it('presence: recording, availability, and our own echo dropped', () => {
    expect(presence({ Chat: '5511999999999@s.whatsapp.net', State: 'composing', Media: 'audio', IsFromMe: false }).events[0]).toMatchObject(
      {
        kind: 'presence',
        state: 'recording',
      },
    );
    expect(presence({ Chat: '5511999999999@s.whatsapp.net', State: 'unavailable', IsFromMe: 'false' }).events[0]).toMatchObject({
      state: 'unavailable',
    });
    expect(presence({ Chat: '5511999999999@s.whatsapp.net', State: 'composing', IsFromMe: true }).ignored).toEqual(['presence:self']);
    expect(presence({ Chat: '5511999999999@s.whatsapp.net', State: 'dancing' }).ignored).toEqual(['presence:dancing']);
    expect(presence(undefined).ignored).toEqual(['presence:empty']);
  });

  const call = (type: string, event: Record<string, unknown>) => adapter.parseWebhook({ ...envelope, EventType: 'call', type, event });

  it('calls: offer, video offer, accept, reject, timeout and terminate (whatsmeow call events)', () => {
    expect(
      call('CallOffer', {
        CallID: 'C1',
        From: '123456789012345@lid',
        CallCreatorAlt: '5511999999999@s.whatsapp.net',
        Timestamp: '2026-01-10T12:00:00Z',
      }).events,
    ).toEqual([
      {
        kind: 'call',
        dedupeKey: 'uazapi:call:C1:offer',
        timestamp: Date.parse('2026-01-10T12:00:00Z'),
        callId: 'C1',
        chat: { jid: '123456789012345@lid', isGroup: false, phoneE164: '+5511999999999', lid: '123456789012345@lid' },
        status: 'offer',
        isVideo: false,
      },
    ]);
    expect(call('CallOfferNotice', { CallID: 'C2', From: '5511999999999@s.whatsapp.net', Media: 'video' }).events[0]).toMatchObject({
      status: 'offer',
      isVideo: true,
      chat: { phoneE164: '+5511999999999' },
    });
    expect(call('CallAccept', { CallID: 'C3', From: '5511999999999@s.whatsapp.net' }).events[0]).toMatchObject({ status: 'accept' });
    expect(call('CallReject', { CallID: 'C4', From: '5511999999999@s.whatsapp.net' }).events[0]).toMatchObject({ status: 'reject' });
    expect(call('CallTerminate', { CallID: 'C5', From: '5511999999999@s.whatsapp.net', Reason: 'timeout' }).events[0]).toMatchObject({
      status: 'timeout',
    });
    expect(
      call('CallTerminate', { CallID: 'C6', From: '5511999999999@s.whatsapp.net', GroupJID: '120363000000000001@g.us' }).events[0],
    ).toMatchObject({
      status: 'terminate',
      chat: { jid: '120363000000000001@g.us', isGroup: true },
    });
    expect(call('CallOffer', { From: '5511999999999@s.whatsapp.net' }).ignored).toEqual(['call:calloffer']);
  });

  it('connection: pair code while connecting, plain disconnect is closed, owner ignored unless open', () => {
    const conn = (instance: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      adapter.parseWebhook({ ...envelope, EventType: 'connection', instance, ...extra }).events[0];
    expect(conn({ name: 'inst', status: 'connecting', qrcode: '', paircode: 'ABCD-1234' })).toMatchObject({
      state: 'connecting',
      pairCode: 'ABCD-1234',
    });
    const closed = conn({ name: 'inst', status: 'disconnected', lastDisconnectReason: 'connection closed' });
    expect(closed).toMatchObject({ state: 'closed', reason: 'connection closed' });
    expect(closed?.kind === 'connection' && closed.phoneE164).toBeUndefined();
    expect(conn({ name: 'inst', status: 'disconnected' }, { type: 'LoggedOut' })).toMatchObject({ state: 'logged_out' });
    expect(conn({ name: 'inst', status: 'connected', profileName: 'Loja' })).toMatchObject({
      state: 'open',
      profileName: 'Loja',
      phoneE164: '+5511900001111',
    });
  });
});
