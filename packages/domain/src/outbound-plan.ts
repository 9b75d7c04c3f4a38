// How an agent's reply becomes WhatsApp sends: text converted from Markdown, an optional signature,
// each attachment in order (the text rides as the caption of the first one that can carry it), the
// quote kept. Every part gets a track id so the provider's echo of our own send is recognised.

import type { MessageKeyRef } from './events.ts';
import { markdownToWhatsApp } from './markdown.ts';
import type { SendCommand } from './provider-port.ts';
import type { HubBehaviour } from './settings.ts';

export type DeskAttachmentKind = 'image' | 'video' | 'audio' | 'file' | 'location' | 'contact' | 'other';

export interface DeskAttachment {
  kind: DeskAttachmentKind;
  url: string;
  mimeType?: string;
  fileName?: string;
  latitude?: number;
  longitude?: number;
  title?: string;
}

export interface AgentReply {
  deskMessageId: number;
  text: string;
  attachments: DeskAttachment[];
  agentName?: string;
  replyTo?: MessageKeyRef;
}

/** A send whose media must first be downloaded from the help desk (`fetchUrl`). */
export type PlannedSend = { part: number; command: SendCommand; fetchUrl?: string };

export function trackIdFor(deskMessageId: number, part: number): string {
  return `wp${deskMessageId}p${part}`;
}

export function applySignature(
  text: string,
  agentName: string | undefined,
  behaviour: Pick<HubBehaviour, 'signMessages' | 'signatureFormat'>,
): string {
  if (!behaviour.signMessages || !agentName) return text;
  return behaviour.signatureFormat.replaceAll('{name}', agentName).replaceAll('{message}', text);
}

const CAPTIONABLE = new Set(['image', 'video', 'file']);

export function planAgentReply(
  reply: AgentReply,
  to: string,
  behaviour: Pick<HubBehaviour, 'signMessages' | 'signatureFormat' | 'audioAsVoiceNote'>,
): PlannedSend[] {
  const text = reply.text.trim() ? applySignature(markdownToWhatsApp(reply.text), reply.agentName, behaviour) : '';
  const sends: PlannedSend[] = [];
  let part = 0;
  const next = () => {
    const p = part++;
    return { part: p, base: { to, trackId: trackIdFor(reply.deskMessageId, p), replyTo: p === 0 ? reply.replyTo : undefined } };
  };

  const media = reply.attachments.filter((a) => a.kind !== 'location' && a.kind !== 'contact');
  const firstCaptionable = media.findIndex((a) => CAPTIONABLE.has(a.kind));
  const captionOnMedia = text !== '' && firstCaptionable === 0;
  if (text && !captionOnMedia) {
    const { part: p, base } = next();
    sends.push({ part: p, command: { ...base, type: 'text', text } });
  }

  media.forEach((a, index) => {
    const { part: p, base } = next();
    const caption = captionOnMedia && index === 0 ? text : undefined;
    const source = { url: a.url };
    if (a.kind === 'image')
      sends.push({ part: p, fetchUrl: a.url, command: { ...base, type: 'image', source, caption, mimeType: a.mimeType } });
    else if (a.kind === 'video')
      sends.push({ part: p, fetchUrl: a.url, command: { ...base, type: 'video', source, caption, mimeType: a.mimeType } });
    else if (a.kind === 'audio')
      sends.push({
        part: p,
        fetchUrl: a.url,
        command: { ...base, type: behaviour.audioAsVoiceNote ? 'voice' : 'audio', source, mimeType: a.mimeType, fileName: a.fileName },
      });
    else
      sends.push({
        part: p,
        fetchUrl: a.url,
        command: { ...base, type: 'document', source, caption, fileName: a.fileName ?? 'arquivo', mimeType: a.mimeType },
      });
  });

  for (const a of reply.attachments) {
    if (a.kind === 'location' && a.latitude !== undefined && a.longitude !== undefined) {
      const { part: p, base } = next();
      sends.push({ part: p, command: { ...base, type: 'location', latitude: a.latitude, longitude: a.longitude, name: a.title } });
    }
  }
  return sends;
}
