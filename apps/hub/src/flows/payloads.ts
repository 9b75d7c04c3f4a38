// What the lanes carry between intake and the workers. Inbound items carry the canonical event
// itself; outbound items carry the agent's message in provider-neutral terms.
import type { DeskAttachment } from '@whatpro/domain';

export const LANE_KINDS = {
  inboundEvent: 'inbound.event',
  outboundMessage: 'outbound.message',
  outboundDelete: 'outbound.delete',
  outboundPresence: 'outbound.presence',
} as const;

export interface OutboundMessagePayload {
  deskMessageId: number;
  conversationId: number;
  text: string;
  attachments: DeskAttachment[];
  agentName?: string;
  /** Provider id of the WhatsApp message the agent quoted. */
  replyToExternalId?: string;
  /** Chatwoot id of the quoted message, resolved to a provider id on the lane when the external id is missing. */
  replyToDeskId?: number;
  /** Template and automation messages have no agent; they are sent all the same. */
  template: boolean;
}

export interface OutboundDeletePayload {
  deskMessageId: number;
  conversationId: number;
}

export interface OutboundPresencePayload {
  conversationId: number;
  state: 'typing' | 'paused';
  /** Milliseconds since the epoch; stale typing is dropped instead of shown late. */
  at: number;
}
