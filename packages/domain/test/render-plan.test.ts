import { describe, expect, it } from 'vitest';
import type { MessageEvent } from '../src/events.ts';
import { renderCall, renderInboundMessage } from '../src/inbound-render.ts';
import { planAgentReply, trackIdFor } from '../src/outbound-plan.ts';
import { DEFAULT_BEHAVIOUR, parseBehaviour, providerSettingsOf } from '../src/settings.ts';

const base: MessageEvent = {
  kind: 'message',
  dedupeKey: 'm1',
  timestamp: 1,
  messageId: 'ABC',
  chat: { jid: '5511987654321@s.whatsapp.net', isGroup: false, phoneE164: '+5511987654321' },
  sender: { jid: '5511987654321@s.whatsapp.net', phoneE164: '+5511987654321', name: 'Maria' },
  fromMe: false,
  content: { type: 'text', text: 'oi' },
};

describe('renderInboundMessage', () => {
  it('renders text, keeping the reply target and direction', () => {
    expect(renderInboundMessage({ ...base, replyTo: { id: 'Q1' } })).toEqual({
      direction: 'incoming',
      private: false,
      text: 'oi',
      replyToProviderId: 'Q1',
    });
    expect(renderInboundMessage({ ...base, fromMe: true }).direction).toBe('outgoing');
  });

  it('attaches media with the caption, flagging voice notes', () => {
    const media = { mimeType: 'audio/ogg', handle: { id: 1 } };
    const voice = renderInboundMessage({ ...base, content: { type: 'voice', media } });
    expect(voice.attachment).toEqual({ kind: 'voice', media, voice: true });
    const image = renderInboundMessage({ ...base, content: { type: 'image', media, caption: 'foto' } });
    expect(image.text).toBe('foto');
    expect(image.attachment?.voice).toBe(false);
  });

  it('renders location, contacts, reactions, edits, deletes and unsupported content as readable text', () => {
    expect(renderInboundMessage({ ...base, content: { type: 'location', latitude: -23.5, longitude: -46.6, name: 'Loja' } }).text).toBe(
      '📍 Localização\nLoja\nhttps://www.google.com/maps?q=-23.5,-46.6',
    );
    expect(
      renderInboundMessage({ ...base, content: { type: 'contacts', contacts: [{ name: 'João', phones: ['+5511912345678'] }] } }).text,
    ).toBe('👤 *João*\n📞 +55 11 91234-5678');
    const reaction = renderInboundMessage({ ...base, content: { type: 'reaction', target: { id: 'T1' }, emoji: '❤️' } });
    expect(reaction).toMatchObject({ text: 'Reagiu com ❤️', replyToProviderId: 'T1' });
    expect(renderInboundMessage({ ...base, content: { type: 'reaction', target: { id: 'T1' }, emoji: '' } }).text).toBe('Removeu a reação');
    expect(renderInboundMessage({ ...base, content: { type: 'edit', target: { id: 'T2' }, text: 'novo' } })).toMatchObject({
      text: '✏️ Mensagem editada:\nnovo',
      replyToProviderId: 'T2',
    });
    expect(renderInboundMessage({ ...base, content: { type: 'delete', target: { id: 'T3' } } })).toMatchObject({
      private: true,
      replyToProviderId: 'T3',
    });
    expect(renderInboundMessage({ ...base, content: { type: 'unsupported', description: 'Enquete', text: 'Voto: Sim' } }).text).toBe(
      'Voto: Sim\n\n_(Enquete)_',
    );
  });

  it('prefixes group messages with the participant', () => {
    const group = renderInboundMessage({ ...base, chat: { jid: '1203@g.us', isGroup: true, name: 'Equipe' } });
    expect(group.text).toBe('*Maria (+55 11 98765-4321):*\noi');
  });

  it('turns an incoming call offer into a private note', () => {
    const note = renderCall({ kind: 'call', dedupeKey: 'c', timestamp: 1, callId: 'c', chat: base.chat, status: 'offer', isVideo: true });
    expect(note?.private).toBe(true);
    expect(note?.text).toContain('vídeo');
    expect(
      renderCall({ kind: 'call', dedupeKey: 'c', timestamp: 1, callId: 'c', chat: base.chat, status: 'terminate', isVideo: false }),
    ).toBeNull();
  });
});

describe('planAgentReply', () => {
  const behaviour = { ...DEFAULT_BEHAVIOUR };
  it('sends text converted from Markdown, with the quote and a track id', () => {
    const plan = planAgentReply({ deskMessageId: 7, text: '**Olá**', attachments: [], replyTo: { id: 'Q' } }, '+5511987654321', behaviour);
    expect(plan).toEqual([
      { part: 0, command: { type: 'text', to: '+5511987654321', text: '*Olá*', trackId: 'wp7p0', replyTo: { id: 'Q' } } },
    ]);
  });

  it('signs when the instance asks for it', () => {
    const plan = planAgentReply({ deskMessageId: 7, text: 'oi', attachments: [], agentName: 'Ana' }, 'x', {
      ...behaviour,
      signMessages: true,
    });
    expect(plan[0]?.command).toMatchObject({ type: 'text', text: '*Ana:*\noi' });
  });

  it('keeps attachments in order, captions the first captionable one, and sends audio as a voice note', () => {
    const plan = planAgentReply(
      {
        deskMessageId: 9,
        text: 'veja',
        attachments: [
          { kind: 'image', url: 'http://cw/a.png', mimeType: 'image/png' },
          { kind: 'audio', url: 'http://cw/b.mp3', mimeType: 'audio/mpeg' },
          { kind: 'file', url: 'http://cw/c.pdf', fileName: 'c.pdf' },
        ],
      },
      'to',
      behaviour,
    );
    expect(plan.map((p) => [p.part, p.command.type, p.command.trackId, p.fetchUrl])).toEqual([
      [0, 'image', 'wp9p0', 'http://cw/a.png'],
      [1, 'voice', 'wp9p1', 'http://cw/b.mp3'],
      [2, 'document', 'wp9p2', 'http://cw/c.pdf'],
    ]);
    expect(plan[0]?.command).toMatchObject({ caption: 'veja' });
    expect(plan[2]?.command).toMatchObject({ fileName: 'c.pdf' });
  });

  it('sends the text first when the first attachment cannot carry a caption', () => {
    const plan = planAgentReply({ deskMessageId: 3, text: 'ouça', attachments: [{ kind: 'audio', url: 'u' }] }, 'to', {
      ...behaviour,
      audioAsVoiceNote: false,
    });
    expect(plan.map((p) => p.command.type)).toEqual(['text', 'audio']);
    expect(trackIdFor(3, 1)).toBe('wp3p1');
  });
});

describe('behaviour settings', () => {
  it('fills defaults, ignores wrongly typed values, and extracts provider settings', () => {
    const b = parseBehaviour({ rejectCalls: true, rejectCallMessage: 'ocupado', signMessages: 'yes', unknown: 1 });
    expect(b.rejectCalls).toBe(true);
    expect(b.signMessages).toBe(false);
    expect(providerSettingsOf(b)).toEqual({
      rejectCalls: true,
      rejectCallMessage: 'ocupado',
      ignoreGroups: false,
      alwaysOnline: false,
      autoReadMessages: false,
      readStatus: false,
      syncFullHistory: false,
    });
    expect(parseBehaviour(null)).toEqual(DEFAULT_BEHAVIOUR);
  });
});

describe('echo fingerprints', async () => {
  const { echoFingerprint, sendFingerprint } = await import('../src/echo.ts');
  it('match a send and its echo by kind and text, whitespace aside', () => {
    expect(sendFingerprint({ type: 'text', to: 'x', text: '*Olá*  mundo\n' })).toBe(echoFingerprint({ type: 'text', text: '*Olá* mundo' }));
    const media = { handle: {} };
    expect(sendFingerprint({ type: 'image', to: 'x', source: { url: 'u' }, caption: 'foto' })).toBe(
      echoFingerprint({ type: 'image', media, caption: 'foto' }),
    );
    expect(sendFingerprint({ type: 'voice', to: 'x', source: { url: 'u' } })).toBe(echoFingerprint({ type: 'voice', media }));
    expect(sendFingerprint({ type: 'location', to: 'x', latitude: -23.5, longitude: -46.6 })).toBe(
      echoFingerprint({ type: 'location', latitude: -23.5, longitude: -46.6 }),
    );
    expect(sendFingerprint({ type: 'text', to: 'x', text: 'a' })).not.toBe(echoFingerprint({ type: 'text', text: 'b' }));
    expect(sendFingerprint({ type: 'reaction', to: 'x', target: { id: 'm' }, emoji: '👍' })).toBeNull();
    expect(echoFingerprint({ type: 'delete', target: { id: 'm' } })).toBeNull();
  });
});
