// Every webhook fixture in shared/contracts/uazapi/fixtures, parsed to canonical events and asserted
// field by field.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { CanonicalEvent, ParsedWebhook } from '@whatpro/domain';
import { describe, expect, it } from 'vitest';
import { createUazapiAdapter } from '../src/uazapi/adapter.ts';
import { UAZAPI_CONTRACTS, uazapiFixture } from './uazapi-fixtures.ts';

const NOW = 1_800_000_000_000;
// The captures were made by an integration whose track_source was "chatwoot-hub".
const adapter = createUazapiAdapter({
  baseUrl: 'http://uazapi.invalid',
  adminToken: 'unused',
  trackSource: 'chatwoot-hub',
  now: () => NOW,
});
const parse = (name: string): ParsedWebhook => adapter.parseWebhook(uazapiFixture(name));
const only = (p: ParsedWebhook): CanonicalEvent => {
  expect(p.events).toHaveLength(1);
  return p.events[0] as CanonicalEvent;
};

const S3_TOKEN = 'xxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx';
// The peer of every S3 1:1 capture: phone JID in `chatid`, LID in `chatlid`/`sender_lid`.
const TITO_CHAT = {
  jid: '40723973035@s.whatsapp.net',
  isGroup: false,
  phoneE164: '+40723973035',
  lid: '138401042923712@lid',
  name: 'Tito Bahé',
};
const TITO = { jid: '40723973035@s.whatsapp.net', phoneE164: '+40723973035', lid: '138401042923712@lid', name: 'Tito Bahé' };
// The instance owner (558185464605 is a Brazilian mobile without the ninth digit).
const OWNER = { jid: '558185464605@s.whatsapp.net', phoneE164: '+5581985464605', lid: '249666952265850@lid', name: 'TitoTest' };
const GROUP = { jid: '120363324913602723@g.us', isGroup: true, name: 'Full Group Teste' };

function message(name: string, fields: Record<string, unknown>) {
  const parsed = parse(name);
  expect(parsed.instanceKey).toBe('eKoB39');
  expect(parsed.instanceToken).toBe(S3_TOKEN);
  expect(parsed.ignored).toEqual([]);
  const id = fields.messageId as string;
  expect(only(parsed)).toEqual({ kind: 'message', dedupeKey: `uazapi:msg:558185464605:${id}`, fromApi: false, ...fields });
}

describe('Uazapi webhook fixtures → canonical events', () => {
  it('covers every webhook fixture in the contracts folder', () => {
    const files = readdirSync(path.join(UAZAPI_CONTRACTS, 'fixtures')).filter(
      (f) => f.startsWith('webhook-') && f !== 'webhook-config-get-response.json' && f !== 'webhook-errors-response.json',
    );
    // Each of these is asserted in its own test below.
    expect(files.sort()).toEqual(
      [
        'webhook-connection-connected.json',
        'webhook-connection-connecting-qr-with-event-id.json',
        'webhook-connection-connecting-qr.json',
        'webhook-connection-disconnected.json',
        'webhook-groups-participant-join.json',
        'webhook-message-contact.json',
        'webhook-message-edited.json',
        'webhook-message-group-audio-ptt.json',
        'webhook-message-group-document.json',
        'webhook-message-group.json',
        'webhook-message-image.json',
        'webhook-message-list-response.json',
        'webhook-message-location.json',
        'webhook-message-poll-vote.json',
        'webhook-message-reaction.json',
        'webhook-message-sticker.json',
        'webhook-message-text-api-echo.json',
        'webhook-message-text-conversation-string-content.json',
        'webhook-message-text-fromme.json',
        'webhook-message-text.json',
        'webhook-message-video.json',
        'webhook-messages-update-deleted.json',
        'webhook-messages-update-delivered.json',
        'webhook-messages-update-read.json',
        'webhook-presence-composing.json',
      ].sort(),
    );
  });

  describe('messages', () => {
    it('text from a contact addressed by LID, with its phone alternate', () => {
      message('webhook-message-text.json', {
        timestamp: 1770146178000,
        messageId: 'AC98212CD4909DE6799E78D93A824A3F',
        chat: TITO_CHAT,
        sender: TITO,
        fromMe: false,
        content: { type: 'text', text: 'Oi' },
      });
    });

    it('text typed on the phone (fromMe): the chat is the peer, the sender the owner', () => {
      message('webhook-message-text-fromme.json', {
        timestamp: 1770146679000,
        messageId: 'ACF3BAA609D967CF59AF1F4A8CE59202',
        chat: TITO_CHAT,
        sender: OWNER,
        fromMe: true,
        content: { type: 'text', text: 'Oi' },
      });
    });

    it('Conversation with a string content', () => {
      message('webhook-message-text-conversation-string-content.json', {
        timestamp: 1770146755000,
        messageId: 'AC412A8CB9DE748E112FCD3BD996519B',
        chat: { jid: '558185464605@s.whatsapp.net', isGroup: false, phoneE164: '+5581985464605', lid: '249666952265850@lid' },
        sender: OWNER,
        fromMe: true,
        content: { type: 'text', text: 'Oi' },
      });
    });

    it('echo of an API send: fromApi, our track id and the reply target', () => {
      message('webhook-message-text-api-echo.json', {
        timestamp: 1770146679000,
        messageId: '3EB0C5F1A2B3D4E5F60718',
        chat: TITO_CHAT,
        sender: OWNER,
        fromMe: true,
        fromApi: true,
        trackId: 'cw-acc1-conv42-msg9001',
        replyTo: { id: 'AC98212CD4909DE6799E78D93A824A3F', chatJid: '40723973035@s.whatsapp.net' },
        content: { type: 'text', text: 'Olá! Em que posso ajudar?' },
      });
    });

    it('a track id stamped by another integration is not taken for ours', () => {
      const other = createUazapiAdapter({ baseUrl: 'http://uazapi.invalid', adminToken: 'unused', now: () => NOW });
      const ev = only(other.parseWebhook(uazapiFixture('webhook-message-text-api-echo.json')));
      expect(ev.kind === 'message' && ev.fromApi).toBe(true);
      expect(ev.kind === 'message' && ev.trackId).toBeUndefined();
    });

    it('group text keeps the group and the participant phone', () => {
      message('webhook-message-group.json', {
        timestamp: 1770147294000,
        messageId: 'AC4D6F7672164E5C348BA0847D4F55B5',
        chat: GROUP,
        sender: TITO,
        fromMe: false,
        content: { type: 'text', text: 'Oi' },
      });
    });

    it('image: media fetched through /message/download by message id', () => {
      message('webhook-message-image.json', {
        timestamp: 1770146426000,
        messageId: 'AC3D4FE37D20ED8957FACCDAD9368A4A',
        chat: TITO_CHAT,
        sender: TITO,
        fromMe: false,
        content: {
          type: 'image',
          media: { mimeType: 'image/jpeg', sizeBytes: 162894, handle: { messageId: 'AC3D4FE37D20ED8957FACCDAD9368A4A' } },
        },
      });
    });

    it('video', () => {
      message('webhook-message-video.json', {
        timestamp: 1770146130000,
        messageId: 'ACAC14245367A932CD6EF160D898A1C2',
        chat: TITO_CHAT,
        sender: TITO,
        fromMe: false,
        content: {
          type: 'video',
          media: { mimeType: 'video/mp4', sizeBytes: 1183945, handle: { messageId: 'ACAC14245367A932CD6EF160D898A1C2' } },
        },
      });
    });

    it('voice note (PTT) in a group', () => {
      message('webhook-message-group-audio-ptt.json', {
        timestamp: 1770147618000,
        messageId: 'AC8456416BC389C8210E420A08A396FA',
        chat: GROUP,
        sender: TITO,
        fromMe: false,
        content: {
          type: 'voice',
          media: { mimeType: 'audio/ogg; codecs=opus', sizeBytes: 4412, handle: { messageId: 'AC8456416BC389C8210E420A08A396FA' } },
        },
      });
    });

    it('document with its file name, in a group', () => {
      message('webhook-message-group-document.json', {
        timestamp: 1770147554000,
        messageId: 'ACAE9D4C1CB62FCCB21CA869B2D9AB5F',
        chat: GROUP,
        sender: TITO,
        fromMe: false,
        content: {
          type: 'document',
          media: {
            mimeType: 'application/pdf',
            // Kept byte for byte: the phone sent it decomposed (NFD).
            fileName: 'Catálogo Fittivirtual PDF.pdf'.normalize('NFD'),
            sizeBytes: 5606601,
            handle: { messageId: 'ACAE9D4C1CB62FCCB21CA869B2D9AB5F' },
          },
        },
      });
    });

    it('sticker (mediaType user_created_sticker)', () => {
      message('webhook-message-sticker.json', {
        timestamp: 1770146218000,
        messageId: 'AC7ABC519EB9D1ED9D0DEECFA063B074',
        chat: TITO_CHAT,
        sender: TITO,
        fromMe: false,
        content: {
          type: 'sticker',
          media: { mimeType: 'image/webp', sizeBytes: 278228, handle: { messageId: 'AC7ABC519EB9D1ED9D0DEECFA063B074' } },
        },
      });
    });

    it('location', () => {
      message('webhook-message-location.json', {
        timestamp: 1770146408000,
        messageId: 'ACB8C2F16A8BC25A41D600B47924061A',
        chat: TITO_CHAT,
        sender: TITO,
        fromMe: false,
        content: { type: 'location', latitude: -8.0342513, longitude: -34.8921449 },
      });
    });

    it('contact card with the WhatsApp id of its phone', () => {
      message('webhook-message-contact.json', {
        timestamp: 1770146588000,
        messageId: 'ACE22A6BF48566AFCFF27BFC5B42B85C',
        chat: TITO_CHAT,
        sender: TITO,
        fromMe: false,
        content: {
          type: 'contacts',
          contacts: [
            {
              name: 'Andrei',
              phones: ['+40746532768'],
              vcard:
                'BEGIN:VCARD\nVERSION:3.0\nN:;Andrei;;;\nFN:Andrei\nitem1.TEL;waid=40746532768:+40 746 532 768\nitem1.X-ABLabel:Celular\nEND:VCARD',
            },
          ],
        },
      });
    });

    it('reaction names its target by bare id', () => {
      message('webhook-message-reaction.json', {
        timestamp: 1770146243000,
        messageId: 'ACA560BBE49219D22145948EA04BADDE',
        chat: TITO_CHAT,
        sender: TITO,
        fromMe: false,
        content: {
          type: 'reaction',
          target: { id: 'AC24A7E68360C7E9A54F64AB85FAECE2', chatJid: '40723973035@s.whatsapp.net' },
          emoji: '❤️',
        },
      });
    });

    it('an edit arrives as a new message pointing at the original', () => {
      message('webhook-message-edited.json', {
        timestamp: 1770146201000,
        messageId: 'ACF9A02835425A416EFC8AEDFCF1DD48',
        chat: TITO_CHAT,
        sender: TITO,
        fromMe: false,
        content: { type: 'edit', target: { id: 'AC98212CD4909DE6799E78D93A824A3F', chatJid: '40723973035@s.whatsapp.net' }, text: 'Oi2' },
      });
    });

    it('poll vote as text, replying to the poll', () => {
      message('webhook-message-poll-vote.json', {
        timestamp: 1770146326000,
        messageId: 'AC1A4B00110B41F932AE961FB23E1353',
        chat: TITO_CHAT,
        sender: TITO,
        fromMe: false,
        replyTo: { id: 'AC80C0232690BC1ADD4D087D31ED59B3', chatJid: '40723973035@s.whatsapp.net' },
        content: { type: 'unsupported', description: 'poll_vote', text: 'Sol' },
      });
    });

    it('list reply as the picked row, replying to the list (type "media" without a file)', () => {
      message('webhook-message-list-response.json', {
        timestamp: 1770147012000,
        messageId: 'AC733E28316A85E2435B1A9D4B6C39F7',
        chat: TITO_CHAT,
        sender: TITO,
        fromMe: false,
        replyTo: { id: '3EB00EB51811DEDC4195E4', chatJid: '40723973035@s.whatsapp.net' },
        content: { type: 'unsupported', description: 'list_response', text: 'Fones' },
      });
    });
  });

  describe('messages_update', () => {
    const base = { instanceKey: 'hub-inst-01', instanceToken: '00000000-0000-4000-8000-0000000000aa', ignored: [] };

    it('delivered, with string-typed IsFromMe and a seconds timestamp as a string', () => {
      expect(parse('webhook-messages-update-delivered.json')).toEqual({
        ...base,
        events: [
          {
            kind: 'status',
            dedupeKey: 'uazapi:status:delivered:5511999999999@s.whatsapp.net:3EB0C5F1A2B3D4E5F60718',
            timestamp: 1768046502000,
            messageIds: ['3EB0C5F1A2B3D4E5F60718'],
            chat: { jid: '5511999999999@s.whatsapp.net', isGroup: false, phoneE164: '+5511999999999', lid: '123456789012345@lid' },
            status: 'delivered',
            fromMe: true,
          },
        ],
      });
    });

    it('read, a batch of ids', () => {
      expect(parse('webhook-messages-update-read.json')).toEqual({
        ...base,
        events: [
          {
            kind: 'status',
            dedupeKey: 'uazapi:status:read:5511999999999@s.whatsapp.net:3EB0C5F1A2B3D4E5F60718,3EB0D7E8F9A0B1C2D3E4F5',
            timestamp: 1768046560000,
            messageIds: ['3EB0C5F1A2B3D4E5F60718', '3EB0D7E8F9A0B1C2D3E4F5'],
            chat: { jid: '5511999999999@s.whatsapp.net', isGroup: false, phoneE164: '+5511999999999' },
            status: 'read',
            fromMe: true,
          },
        ],
      });
    });

    it('deleted by the contact: a deletion status of the contact message', () => {
      expect(parse('webhook-messages-update-deleted.json')).toEqual({
        ...base,
        events: [
          {
            kind: 'status',
            dedupeKey: 'uazapi:status:deleted:5511999999999@s.whatsapp.net:AC98212CD4909DE6799E78D93A824A3F',
            timestamp: 1768046600000,
            messageIds: ['AC98212CD4909DE6799E78D93A824A3F'],
            chat: { jid: '5511999999999@s.whatsapp.net', isGroup: false, phoneE164: '+5511999999999', lid: '123456789012345@lid' },
            status: 'deleted',
            fromMe: false,
          },
        ],
      });
    });
  });

  it('presence: composing → typing', () => {
    expect(parse('webhook-presence-composing.json')).toEqual({
      instanceKey: 'hub-inst-01',
      instanceToken: '00000000-0000-4000-8000-0000000000aa',
      ignored: [],
      events: [
        {
          kind: 'presence',
          dedupeKey: `uazapi:presence:5511999999999@s.whatsapp.net:typing:${NOW}`,
          timestamp: NOW,
          chat: { jid: '5511999999999@s.whatsapp.net', isGroup: false, phoneE164: '+5511999999999', lid: '123456789012345@lid' },
          sender: { jid: '5511999999999@s.whatsapp.net', phoneE164: '+5511999999999', lid: '123456789012345@lid' },
          state: 'typing',
        },
      ],
    });
  });

  describe('connection', () => {
    it('connecting with the QR data URL (first QR only), event_id as dedupe key', () => {
      const body = uazapiFixture<{ instance: { qrcode: string } }>('webhook-connection-connecting-qr-with-event-id.json');
      const parsed = adapter.parseWebhook(body);
      expect(parsed.instanceKey).toBe('testes-chatwoot');
      expect(parsed.instanceToken).toBe('00000000-0000-4000-8000-000000000001');
      expect(only(parsed)).toEqual({
        kind: 'connection',
        dedupeKey: '00000000-0000-4000-8000-000000000003',
        timestamp: NOW,
        state: 'connecting',
        qrCode: body.instance.qrcode,
      });
      // `owner` is the last paired number here, not a live session: it is not reported.
    });

    it('connecting with a QR, no event_id (older build)', () => {
      const body = uazapiFixture<{ instance: { qrcode: string } }>('webhook-connection-connecting-qr.json');
      const ev = only(adapter.parseWebhook(body));
      expect(ev).toMatchObject({ kind: 'connection', state: 'connecting', qrCode: body.instance.qrcode, timestamp: NOW });
      expect(ev.kind === 'connection' && ev.qrCode?.startsWith('data:image/png;base64,')).toBe(true);
      expect(ev.dedupeKey).toMatch(/^uazapi:connection:connecting:1800000000000:[0-9a-f]{16}$/);
      expect(ev.kind === 'connection' && ev.phoneE164).toBeUndefined();
    });

    it('connected: the owner phone in E.164 and its JID as WhatsApp knows it', () => {
      const parsed = parse('webhook-connection-connected.json');
      expect(parsed.instanceKey).toBe('intanceTest');
      expect(parsed.instanceToken).toBe(S3_TOKEN);
      const ev = only(parsed);
      expect(ev).toEqual({
        kind: 'connection',
        dedupeKey: expect.stringMatching(/^uazapi:connection:open:1800000000000:/),
        timestamp: NOW,
        state: 'open',
        jid: '558185464605@s.whatsapp.net',
        phoneE164: '+5581985464605',
      });
    });

    it('disconnected by a logout on the phone → logged_out with the reason and time', () => {
      const ev = only(parse('webhook-connection-disconnected.json'));
      expect(ev).toEqual({
        kind: 'connection',
        dedupeKey: expect.stringMatching(/^uazapi:connection:logged_out:/),
        timestamp: Date.parse('2026-02-02T17:46:57.567Z'),
        state: 'logged_out',
        reason: '401: logged out from another device',
      });
    });
  });

  it('groups events are acknowledged and not mapped', () => {
    expect(parse('webhook-groups-participant-join.json')).toEqual({
      instanceKey: 'VV0uYO',
      instanceToken: 'xxxxx',
      events: [],
      ignored: ['groups'],
    });
  });
});
