// Webhook shapes beyond the captured fixtures: other Evolution versions' addressing, every content type
// the normaliser knows, unstable field types, and malformed bodies.
import type { CanonicalEvent, MessageEvent } from '@whatpro/domain';
import { describe, expect, it } from 'vitest';
import { ProviderError } from '../src/errors.ts';
import { deliveryStatus, normalizeEventName, parseEvolutionWebhook } from '../src/evolution/webhook.ts';

const OWNER = '5511900000001@s.whatsapp.net';
const PHONE = '5511988887777@s.whatsapp.net';
const LID = '76201477542116@lid';

function envelope(event: string, data: unknown, extra: Record<string, unknown> = {}) {
  return {
    event,
    instance: 'acme',
    data,
    destination: 'https://hub/x',
    date_time: '2025-11-16T17:49:42.155Z',
    sender: OWNER,
    server_url: 'https://evo',
    apikey: null,
    ...extra,
  };
}

function upsert(
  message: Record<string, unknown>,
  opts: { key?: Record<string, unknown>; messageType?: string; extra?: Record<string, unknown>; event?: string } = {},
) {
  const data: Record<string, unknown> = {
    key: { remoteJid: PHONE, fromMe: false, id: 'MSG1', ...opts.key },
    pushName: 'Maria',
    status: 'DELIVERY_ACK',
    message,
    messageTimestamp: 1763326182,
    ...opts.extra,
  };
  if (opts.messageType !== undefined) data.messageType = opts.messageType;
  return envelope(opts.event ?? 'messages.upsert', data);
}

const one = (body: unknown): CanonicalEvent => {
  const parsed = parseEvolutionWebhook(body);
  expect(parsed.events).toHaveLength(1);
  return parsed.events[0] as CanonicalEvent;
};
const msg = (body: unknown): MessageEvent => {
  const ev = one(body);
  if (ev.kind !== 'message') throw new Error(`expected a message, got ${ev.kind}`);
  return ev;
};

describe('Evolution webhook envelope', () => {
  it('accepts a JSON string or Buffer body and rejects malformed ones as bad requests', () => {
    const body = upsert({ conversation: 'oi' }, { messageType: 'conversation' });
    expect(parseEvolutionWebhook(JSON.stringify(body))).toEqual(parseEvolutionWebhook(body));
    expect(parseEvolutionWebhook(Buffer.from(JSON.stringify(body)))).toEqual(parseEvolutionWebhook(body));
    for (const bad of ['{not json', { data: {} }, { event: 'messages.upsert' }, null, 42]) {
      let caught: unknown;
      try {
        parseEvolutionWebhook(bad);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(ProviderError);
      expect((caught as ProviderError).kind).toBe('bad_request');
      expect((caught as ProviderError).retryable).toBe(false);
    }
  });

  it('ignores events without a canonical meaning and events that carry nothing usable', () => {
    expect(parseEvolutionWebhook(envelope('LABELS_EDIT', {}))).toEqual({ instanceKey: 'acme', events: [], ignored: ['labels.edit'] });
    expect(parseEvolutionWebhook(envelope('group-participants.update', { id: 'g@g.us' })).ignored).toEqual(['group.participants.update']);
    expect(parseEvolutionWebhook(envelope('messages.upsert', { key: {} })).ignored).toEqual(['messages.upsert']);
    expect(parseEvolutionWebhook(envelope('messages.update', { keyId: 'X', status: 'PENDING' })).ignored).toEqual(['messages.update']);
    expect(parseEvolutionWebhook(envelope('call', { id: 'C', status: 'weird' })).ignored).toEqual(['call']);
  });

  it('normalises event names and statuses in all their forms', () => {
    expect(normalizeEventName('MESSAGES_UPSERT')).toBe('messages.upsert');
    expect(normalizeEventName(' send.message ')).toBe('send.message');
    expect(normalizeEventName('GROUP_PARTICIPANTS_UPDATE')).toBe('group.participants.update');
    expect([0, 1, 2, 3, 4, 5].map(deliveryStatus)).toEqual(['failed', null, 'sent', 'delivered', 'read', 'played']);
    expect(['3', 'read', 'DELETED', 'server_ack', 'NOPE', undefined].map(deliveryStatus)).toEqual([
      'delivered',
      'read',
      'deleted',
      'sent',
      undefined,
      undefined,
    ]);
  });

  it('timestamps as seconds, numeric strings, milliseconds and protobuf Longs; the envelope time as a fallback', () => {
    const at = (ts: unknown) => msg(upsert({ conversation: 'x' }, { extra: { messageTimestamp: ts } })).timestamp;
    expect(at(1763326182)).toBe(1763326182000);
    expect(at('1763326182')).toBe(1763326182000);
    expect(at(1763326182123)).toBe(1763326182123);
    expect(at({ low: 1763326182, high: 0, unsigned: false })).toBe(1763326182000);
    expect(at(undefined)).toBe(Date.parse('2025-11-16T17:49:42.155Z'));
  });
});

describe('Evolution addressing across versions', () => {
  it('2.4 swaps the fields (remoteJid the phone, remoteJidAlt the LID): same person', () => {
    const ev = msg(upsert({ conversation: 'x' }, { key: { remoteJid: PHONE, remoteJidAlt: LID, addressingMode: 'pn' } }));
    expect(ev.chat).toEqual({ jid: PHONE, phoneE164: '+5511988887777', lid: LID, name: 'Maria', isGroup: false });
  });

  it('older builds put the phone in senderPn next to a LID remoteJid', () => {
    const ev = msg(upsert({ conversation: 'x' }, { key: { remoteJid: LID, senderPn: '5511988887777:12@s.whatsapp.net' } }));
    expect(ev.chat).toMatchObject({ jid: PHONE, phoneE164: '+5511988887777', lid: LID });
    expect(ev.sender).toMatchObject({ jid: PHONE, lid: LID, name: 'Maria' });
  });

  it('a LID alone stays a LID without a phone', () => {
    const ev = msg(upsert({ conversation: 'x' }, { key: { remoteJid: LID } }));
    expect(ev.chat).toEqual({ jid: LID, lid: LID, name: 'Maria', isGroup: false });
  });

  it('our own message in a group comes from the instance owner', () => {
    const ev = msg(upsert({ conversation: 'x' }, { key: { remoteJid: '120363000000000001@g.us', fromMe: true, participant: OWNER } }));
    expect(ev.chat).toEqual({ jid: '120363000000000001@g.us', isGroup: true });
    expect(ev.sender).toEqual({ jid: OWNER, phoneE164: '+5511900000001', name: 'Maria' });
    expect(ev.fromMe).toBe(true);
  });

  it('an API send to a group (send.message) and a group author given by participantPn', () => {
    const sent = msg(upsert({ conversation: 'x' }, { event: 'SEND_MESSAGE', key: { remoteJid: '120363000000000001@g.us', fromMe: true } }));
    expect(sent).toMatchObject({ fromApi: true, fromMe: true, chat: { isGroup: true }, sender: { jid: OWNER } });
    const inbound = msg(
      upsert(
        { conversation: 'x' },
        { key: { remoteJid: '120363000000000001@g.us', participant: '1234@lid', participantPn: '5521987654321@s.whatsapp.net' } },
      ),
    );
    expect(inbound.sender).toEqual({ jid: '5521987654321@s.whatsapp.net', phoneE164: '+5521987654321', lid: '1234@lid', name: 'Maria' });
  });
});

describe('Evolution message content', () => {
  it('extendedTextMessage with its own contextInfo: reply into a group, mentions, forwarded', () => {
    const ev = msg(
      upsert(
        {
          extendedTextMessage: {
            text: 'olha @5511',
            contextInfo: {
              stanzaId: 'Q1',
              participant: '5521911112222@s.whatsapp.net',
              remoteJid: '120363000000000001@g.us',
              mentionedJid: ['5511977776666@s.whatsapp.net'],
              isForwarded: true,
            },
          },
        },
        { messageType: 'extendedTextMessage' },
      ),
    );
    expect(ev.content).toEqual({ type: 'text', text: 'olha @5511' });
    expect(ev.replyTo).toEqual({
      id: 'Q1',
      chatJid: '120363000000000001@g.us',
      participant: '5521911112222@s.whatsapp.net',
      fromMe: false,
    });
    expect(ev.mentions).toEqual(['5511977776666@s.whatsapp.net']);
    expect(ev.forwarded).toBe(true);
  });

  it('unwraps ephemeral, view-once and document-with-caption wrappers', () => {
    const image = msg(
      upsert({
        ephemeralMessage: { message: { viewOnceMessageV2: { message: { imageMessage: { mimetype: 'image/jpeg', caption: 'uma vez' } } } } },
      }),
    );
    expect(image.content).toMatchObject({ type: 'image', caption: 'uma vez', media: { mimeType: 'image/jpeg' } });
    const doc = msg(
      upsert(
        {
          documentWithCaptionMessage: {
            message: { documentMessage: { mimetype: 'application/pdf', fileName: 'a.pdf', caption: 'c', fileLength: '2048' } },
          },
        },
        { messageType: 'documentWithCaptionMessage' },
      ),
    );
    expect(doc.content).toMatchObject({ type: 'document', caption: 'c', media: { fileName: 'a.pdf', sizeBytes: 2048 } });
  });

  it('media carries an S3 mediaUrl when Evolution stores media; ptvMessage is a video; audio without ptt is a file', () => {
    const ptv = msg(
      upsert({ ptvMessage: { mimetype: 'video/mp4' }, mediaUrl: 'https://s3.example.com/b/x.mp4' }, { messageType: 'ptvMessage' }),
    );
    expect(ptv.content).toMatchObject({ type: 'video', media: { url: 'https://s3.example.com/b/x.mp4', mimeType: 'video/mp4' } });
    const audio = msg(upsert({ audioMessage: { mimetype: 'audio/mpeg', ptt: 'false' } }, { messageType: 'audioMessage' }));
    expect(audio.content.type).toBe('audio');
  });

  it('locations (live too) and contact cards, single and in arrays', () => {
    expect(
      msg(upsert({ locationMessage: { degreesLatitude: -8.05, degreesLongitude: -34.9, name: 'Marco Zero', address: 'Recife' } })).content,
    ).toEqual({
      type: 'location',
      latitude: -8.05,
      longitude: -34.9,
      name: 'Marco Zero',
      address: 'Recife',
    });
    expect(msg(upsert({ liveLocationMessage: { degreesLatitude: '1.5', degreesLongitude: 2 } })).content).toEqual({
      type: 'location',
      latitude: 1.5,
      longitude: 2,
      live: true,
    });
    const vcard =
      'BEGIN:VCARD\nVERSION:3.0\nFN:Ana Lima\nTEL;type=CELL:+55 (11) 8765-4321\nitem1.TEL;waid=5511988887777:+55 11 98888-7777\nEND:VCARD';
    expect(msg(upsert({ contactMessage: { vcard } })).content).toEqual({
      type: 'contacts',
      contacts: [{ name: 'Ana Lima', phones: ['+5511987654321', '+5511988887777'], vcard }],
    });
    const array = msg(
      upsert({
        contactsArrayMessage: {
          displayName: '2 contatos',
          contacts: [{ displayName: 'A', vcard: 'TEL;waid=4915112345678:+49' }, { displayName: 'B' }],
        },
      }),
    );
    expect(array.content).toEqual({
      type: 'contacts',
      contacts: [
        { name: 'A', phones: ['+4915112345678'], vcard: 'TEL;waid=4915112345678:+49' },
        { name: 'B', phones: [] },
      ],
    });
  });

  it('reactions in groups keep the participant; removal is an empty emoji; a keyless reaction is unsupported', () => {
    const group = '120363000000000001@g.us';
    const ev = msg(
      upsert(
        { reactionMessage: { key: { remoteJid: group, fromMe: false, id: 'T1', participant: '5521911112222@s.whatsapp.net' }, text: '' } },
        { key: { remoteJid: group, participant: '5521933334444@s.whatsapp.net' } },
      ),
    );
    expect(ev.content).toEqual({
      type: 'reaction',
      emoji: '',
      target: { id: 'T1', chatJid: group, fromMe: false, participant: '5521911112222@s.whatsapp.net' },
    });
    expect(msg(upsert({ reactionMessage: { text: '👍' } })).content).toEqual({ type: 'unsupported', description: 'reactionMessage' });
  });

  it('protocol messages inside an upsert: revoke and edit (numeric enum values too)', () => {
    expect(msg(upsert({ protocolMessage: { key: { id: 'T2', remoteJid: PHONE, fromMe: true }, type: 0 } })).content).toEqual({
      type: 'delete',
      target: { id: 'T2', chatJid: PHONE, fromMe: true },
    });
    expect(
      msg(
        upsert({
          protocolMessage: { key: { id: 'T3' }, type: 'MESSAGE_EDIT', editedMessage: { imageMessage: { caption: 'nova legenda' } } },
        }),
      ).content,
    ).toEqual({
      type: 'edit',
      target: { id: 'T3', chatJid: PHONE },
      text: 'nova legenda',
    });
    expect(msg(upsert({ protocolMessage: { type: 'EPHEMERAL_SETTING' } })).content).toEqual({
      type: 'unsupported',
      description: 'protocolMessage:EPHEMERAL_SETTING',
    });
  });

  it('polls, votes, list and button replies become text that can be shown', () => {
    const text = (message: Record<string, unknown>, extra?: Record<string, unknown>) => msg(upsert(message, { extra })).content;
    expect(text({ pollCreationMessageV3: { name: 'Horário?', options: [{ optionName: '10h' }, { optionName: '11h' }] } })).toEqual({
      type: 'unsupported',
      description: 'poll',
      text: 'Horário?\n- 10h\n- 11h',
    });
    expect(
      text({ pollUpdateMessage: {} }, { pollUpdates: [{ name: '10h', voters: ['x'] }, { selectedOptions: ['11h', { name: '12h' }] }] }),
    ).toEqual({
      type: 'unsupported',
      description: 'poll_vote',
      text: '10h, 11h, 12h',
    });
    expect(text({ pollUpdateMessage: {} })).toEqual({ type: 'unsupported', description: 'poll_vote' });
    expect(text({ listResponseMessage: { title: 'Plano Gold', singleSelectReply: { selectedRowId: 'gold' } } })).toEqual({
      type: 'unsupported',
      description: 'listResponseMessage',
      text: 'Plano Gold',
    });
    expect(text({ listResponseMessage: { singleSelectReply: { selectedRowId: 'gold' } } })).toMatchObject({ text: 'gold' });
    expect(text({ buttonsResponseMessage: { selectedDisplayText: 'Sim', selectedButtonId: 'b1' } })).toMatchObject({ text: 'Sim' });
    expect(text({ templateButtonReplyMessage: { selectedId: 't1' } })).toMatchObject({ text: 't1' });
    expect(text({ interactiveResponseMessage: { body: { text: 'Confirmar' } } })).toMatchObject({ text: 'Confirmar' });
    expect(text({ interactiveResponseMessage: { nativeFlowResponseMessage: { paramsJson: '{"id":"opt-2"}' } } })).toMatchObject({
      text: 'opt-2',
    });
    expect(text({ interactiveResponseMessage: { nativeFlowResponseMessage: { paramsJson: 'not json' } } })).toMatchObject({
      text: 'not json',
    });
    expect(text({ interactiveResponseMessage: {} })).toEqual({ type: 'unsupported', description: 'interactiveResponseMessage' });
    expect(text({ someFutureMessage: { a: 1 } })).toEqual({ type: 'unsupported', description: 'someFutureMessage' });
  });

  it('finds the content without messageType and skips device metadata; an empty message is unsupported', () => {
    const ev = msg(upsert({ messageContextInfo: { deviceListMetadataVersion: 2 }, conversation: 'sem tipo' }, { messageType: 'unknown' }));
    expect(ev.content).toEqual({ type: 'text', text: 'sem tipo' });
    expect(msg(upsert({ messageContextInfo: {} })).content).toEqual({ type: 'unsupported', description: 'empty' });
  });
});

describe('Evolution edits, deletes, statuses, presence and calls', () => {
  it('messages.update may arrive as an array and with numeric statuses', () => {
    const parsed = parseEvolutionWebhook(
      envelope('MESSAGES_UPDATE', [
        { keyId: 'A', remoteJid: PHONE, fromMe: true, status: 3 },
        { key: { id: 'B', remoteJid: '120363000000000001@g.us', fromMe: true }, status: 'PLAYED' },
        { keyId: 'C', remoteJid: PHONE, fromMe: true, status: 0 },
      ]),
    );
    expect(parsed.events.map((e) => e.kind === 'status' && [e.messageIds[0], e.status, e.chat.isGroup])).toEqual([
      ['A', 'delivered', false],
      ['B', 'played', true],
      ['C', 'failed', false],
    ]);
  });

  it('an edit in messages.update whose message has no text falls back to the status', () => {
    const ev = one(
      envelope('messages.update', {
        keyId: 'E',
        remoteJid: PHONE,
        fromMe: false,
        status: 'SERVER_ACK',
        message: { editedMessage: { message: {} } },
      }),
    );
    expect(ev).toMatchObject({ kind: 'status', status: 'sent', messageIds: ['E'] });
  });

  it('a group edit by a participant names the participant', () => {
    const ev = msg(
      envelope('messages.update', {
        keyId: 'E2',
        remoteJid: '120363000000000001@g.us',
        fromMe: false,
        participant: '5521911112222@s.whatsapp.net',
        message: { editedMessage: { message: { extendedTextMessage: { text: 'corrigido' } } } },
      }),
    );
    expect(ev.content).toMatchObject({ type: 'edit', text: 'corrigido', target: { id: 'E2' } });
    expect(ev.sender).toEqual({ jid: '5521911112222@s.whatsapp.net', phoneE164: '+5521911112222' });
  });

  it('messages.edited: REVOKE is left to messages.delete; edits without text are ignored', () => {
    expect(
      parseEvolutionWebhook(envelope('messages.edited', { key: { id: 'R', remoteJid: PHONE, fromMe: true }, type: 'REVOKE' })).events,
    ).toEqual([]);
    expect(
      parseEvolutionWebhook(envelope('messages.edited', { key: { id: 'R', remoteJid: PHONE, fromMe: true }, type: 'MESSAGE_EDIT' })).events,
    ).toEqual([]);
    const numeric = one(
      envelope('messages.edited', { key: { id: 'R', remoteJid: PHONE, fromMe: true }, type: 14, editedMessage: { conversation: 'ok' } }),
    );
    expect(numeric).toMatchObject({ kind: 'message', content: { type: 'edit', text: 'ok', target: { id: 'R' } } });
  });

  it('messages.delete in a group by a participant, and a Baileys key nested in `key`', () => {
    const ev = msg(
      envelope('messages.delete', {
        remoteJid: '120363000000000001@g.us',
        fromMe: false,
        id: 'D1',
        participant: '999@lid',
        participantAlt: '5521911112222@s.whatsapp.net',
      }),
    );
    expect(ev.sender).toEqual({ jid: '5521911112222@s.whatsapp.net', phoneE164: '+5521911112222', lid: '999@lid' });
    expect(ev.content).toEqual({
      type: 'delete',
      target: { id: 'D1', chatJid: '120363000000000001@g.us', fromMe: false, participant: '999@lid' },
    });
    const own = msg(envelope('messages.delete', { key: { remoteJid: PHONE, fromMe: true, id: 'D2' } }));
    expect(own).toMatchObject({ fromMe: true, sender: { jid: OWNER }, content: { target: { id: 'D2', fromMe: true } } });
  });

  it('group presence names the participant; unknown presence states are skipped', () => {
    const parsed = parseEvolutionWebhook(
      envelope('presence.update', {
        id: '120363000000000001@g.us',
        presences: { '5521911112222@s.whatsapp.net': { lastKnownPresence: 'recording' }, 'x@lid': { lastKnownPresence: 'dancing' } },
      }),
    );
    expect(parsed.events).toEqual([
      {
        kind: 'presence',
        dedupeKey: `presence:acme:5521911112222@s.whatsapp.net:recording:${Date.parse('2025-11-16T17:49:42.155Z')}`,
        timestamp: Date.parse('2025-11-16T17:49:42.155Z'),
        chat: { jid: '120363000000000001@g.us', isGroup: true },
        sender: { jid: '5521911112222@s.whatsapp.net', phoneE164: '+5521911112222' },
        state: 'recording',
      },
    ]);
  });

  it('calls: ringing is an offer, video flag kept; connection closes other than logout are "closed"', () => {
    expect(one(envelope('call', { id: 'C1', from: LID, chatId: LID, status: 'ringing', isVideo: 'true', date: 1763326182 }))).toMatchObject(
      {
        kind: 'call',
        status: 'offer',
        isVideo: true,
        timestamp: 1763326182000,
        chat: { jid: LID },
      },
    );
    expect(one(envelope('connection.update', { instance: 'acme', state: 'close', statusReason: 428 }))).toMatchObject({
      state: 'closed',
      reason: '428',
    });
    expect(one(envelope('qrcode.updated', { qrcode: { code: '2@abc', pairingCode: 'ABCD1234' } }))).toMatchObject({
      state: 'connecting',
      qrCode: '2@abc',
      pairCode: 'ABCD1234',
    });
    expect(parseEvolutionWebhook(envelope('qrcode.updated', {})).ignored).toEqual(['qrcode.updated']);
  });
});
