// How a WhatsApp event looks in the help desk: one desk message per WhatsApp message, text the agent
// can read, media to attach, and the link to the message it refers to. Wording is pt-BR (the
// product's first language) because agents read it inside Chatwoot.
import type { CallEvent, ContactCard, MediaKind, MediaRef, MessageEvent, SenderRef } from './events.ts';

export interface DeskMessage {
  /** `incoming` from the contact; `outgoing` for messages typed on the instance's own phone. */
  direction: 'incoming' | 'outgoing';
  /** Private notes are visible to agents only. */
  private: boolean;
  text: string;
  attachment?: { kind: MediaKind; media: MediaRef; voice: boolean };
  /** Provider id of the WhatsApp message this one replies to, reacts to, edits or deletes. */
  replyToProviderId?: string;
}

export function formatPhone(e164: string | undefined): string | undefined {
  if (!e164) return undefined;
  const m = /^\+55(\d{2})(\d{4,5})(\d{4})$/.exec(e164);
  return m ? `+55 ${m[1]} ${m[2]}-${m[3]}` : e164;
}

function senderLabel(sender: SenderRef): string {
  const phone = formatPhone(sender.phoneE164);
  if (sender.name && phone) return `${sender.name} (${phone})`;
  return sender.name ?? phone ?? sender.jid.split('@')[0] ?? sender.jid;
}

export function mapsLink(latitude: number, longitude: number): string {
  return `https://www.google.com/maps?q=${latitude},${longitude}`;
}

function contactCardText(card: ContactCard): string {
  const phones = card.phones.map((p) => formatPhone(p) ?? p).join(', ');
  return `👤 *${card.name}*${phones ? `\n📞 ${phones}` : ''}`;
}

/** The note kept next to a message deleted on WhatsApp (by the contact, or from the instance's phone). */
export function deletionNote(fromMe: boolean): string {
  return fromMe ? '🗑️ Esta mensagem foi apagada para todos pelo celular.' : '🗑️ O contato apagou esta mensagem no WhatsApp.';
}

export function renderInboundMessage(event: MessageEvent): DeskMessage {
  const direction = event.fromMe ? 'outgoing' : 'incoming';
  const base = { direction, private: false, replyToProviderId: event.replyTo?.id } as const;
  const c = event.content;
  let message: DeskMessage;
  switch (c.type) {
    case 'text':
      message = { ...base, text: c.text };
      break;
    case 'image':
    case 'video':
    case 'audio':
    case 'voice':
    case 'document':
    case 'sticker':
      message = { ...base, text: c.caption ?? '', attachment: { kind: c.type, media: c.media, voice: c.type === 'voice' } };
      break;
    case 'location': {
      const title = [c.name, c.address].filter(Boolean).join('\n');
      message = {
        ...base,
        text: `📍 ${c.live ? 'Localização em tempo real' : 'Localização'}${title ? `\n${title}` : ''}\n${mapsLink(c.latitude, c.longitude)}`,
      };
      break;
    }
    case 'contacts':
      message = { ...base, text: c.contacts.map(contactCardText).join('\n\n') };
      break;
    case 'reaction':
      message = {
        ...base,
        replyToProviderId: c.target.id,
        text: c.emoji ? `Reagiu com ${c.emoji}` : 'Removeu a reação',
      };
      break;
    case 'edit':
      message = { ...base, replyToProviderId: c.target.id, text: `✏️ Mensagem editada:\n${c.text}` };
      break;
    case 'delete':
      // Kept as a note next to the original: the agent still sees what was said.
      message = {
        ...base,
        private: true,
        replyToProviderId: c.target.id,
        text: deletionNote(event.fromMe),
      };
      break;
    case 'unsupported':
      message = { ...base, text: c.text ? `${c.text}\n\n_(${c.description})_` : `⚠️ ${c.description}` };
      break;
  }
  if (event.chat.isGroup && !event.fromMe && !message.private) {
    const prefix = `*${senderLabel(event.sender)}:*`;
    message.text = message.text ? `${prefix}\n${message.text}` : prefix;
  }
  return message;
}

export function renderCall(event: CallEvent): DeskMessage | null {
  if (event.status !== 'offer') return null;
  return {
    direction: 'incoming',
    private: true,
    text: `📞 Chamada de ${event.isVideo ? 'vídeo' : 'voz'} recebida no WhatsApp. Chamadas não são atendidas pelo Chatwoot: retorne pelo celular se necessário.`,
  };
}
