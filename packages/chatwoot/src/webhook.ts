// Parses what an API inbox's webhook_url receives (chatwoot.md §4) into typed events. Only the fields
// the Hub acts on are validated; everything else passes through. Events the Hub does not act on come
// out as `{ event: 'other' }` so the endpoint can still acknowledge them with a 2xx (Chatwoot marks a
// message failed when its webhook fails).
import { AppError } from '@whatpro/platform';
import { z } from 'zod';
import {
  attachmentSchema,
  type ChatwootAttachment,
  type ChatwootContentAttributes,
  type ChatwootConversationStatus,
  type ChatwootMessageType,
  messageTypeSchema,
  toAttachment,
  toContentAttributes,
} from './schemas.ts';

const idSchema = z.number().int();
const statusSchema = z.enum(['open', 'resolved', 'pending', 'snoozed']);

const webhookConversationSchema = z.looseObject({
  id: idSchema,
  inbox_id: idSchema,
  status: statusSchema.nullish(),
  channel: z.string().nullish(),
  labels: z.array(z.string()).nullish(),
  account: z.looseObject({ id: idSchema }).nullish(),
  contact_inbox: z.looseObject({ contact_id: idSchema.nullish(), source_id: z.string().nullish() }).nullish(),
  meta: z.looseObject({ sender: z.looseObject({ id: idSchema }).nullish() }).nullish(),
  messages: z.array(z.looseObject({ id: idSchema, status: z.string().nullish() })).nullish(),
});

const senderSchema = z.looseObject({
  id: idSchema.nullish(),
  name: z.string().nullish(),
  email: z.string().nullish(),
  type: z.string().nullish(),
});

const messageEventSchema = z.looseObject({
  event: z.enum(['message_created', 'message_updated']),
  id: idSchema,
  content: z.string().nullish(),
  content_type: z.string().nullish(),
  message_type: messageTypeSchema,
  private: z.boolean().nullish(),
  source_id: z.string().nullish(),
  created_at: z.union([z.string(), z.number()]).nullish(),
  content_attributes: z.record(z.string(), z.unknown()).nullish(),
  attachments: z.array(attachmentSchema).nullish(),
  sender: senderSchema.nullish(),
  inbox: z.looseObject({ id: idSchema, name: z.string().nullish() }).nullish(),
  account: z.looseObject({ id: idSchema }).nullish(),
  conversation: webhookConversationSchema,
});

const typingEventSchema = z.looseObject({
  event: z.enum(['conversation_typing_on', 'conversation_typing_off']),
  user: senderSchema.nullish(),
  conversation: webhookConversationSchema,
  is_private: z.boolean().nullish(),
});

const statusEventSchema = webhookConversationSchema.extend({
  event: z.literal('conversation_status_changed'),
  status: statusSchema,
});

export interface ChatwootWebhookConversation {
  /** Display id, the one every conversation path uses. */
  id: number;
  inboxId: number;
  accountId: number | null;
  status: ChatwootConversationStatus | null;
  /** "Channel::Api" for the Hub's inboxes. */
  channel: string | null;
  contactId: number | null;
  /** The contact inbox source id: how the Hub addresses the WhatsApp chat. */
  contactSourceId: string | null;
  labels: string[];
}

export interface ChatwootWebhookSender {
  /** Chatwoot marks users, bots and Captain with `type`; a contact's webhook data has none. */
  kind: 'user' | 'agent_bot' | 'captain_assistant' | 'contact';
  id: number | null;
  name: string | null;
  email: string | null;
}

export interface ChatwootWebhookMessage {
  id: number;
  content: string | null;
  contentType: string;
  messageType: ChatwootMessageType;
  private: boolean;
  sourceId: string | null;
  /** ISO-8601 as Chatwoot sends it in message webhooks. */
  createdAt: string | null;
  /**
   * Chatwoot puts no status in message webhooks (#15908); this is taken from the conversation's last
   * message when that is this message, else null.
   */
  status: string | null;
  inboxId: number;
  accountId: number | null;
  conversation: ChatwootWebhookConversation;
  /** null for automation, greeting, CSAT and other system messages. */
  sender: ChatwootWebhookSender | null;
  attachments: ChatwootAttachment[];
  contentAttributes: ChatwootContentAttributes;
}

export type ChatwootWebhookEvent =
  | { event: 'message_created' | 'message_updated'; message: ChatwootWebhookMessage }
  | {
      event: 'conversation_typing_on' | 'conversation_typing_off';
      conversation: ChatwootWebhookConversation;
      user: ChatwootWebhookSender | null;
      /** The agent is typing a private note: nothing to relay. */
      isPrivate: boolean;
    }
  | { event: 'conversation_status_changed'; conversation: ChatwootWebhookConversation; status: ChatwootConversationStatus }
  | { event: 'other'; name: string };

/** A webhook body that is not what Chatwoot sends. The details name paths, never values. */
export class ChatwootWebhookError extends AppError {
  constructor(message: string, details?: { path: string; message: string }[]) {
    super('VALIDATION', message, { details, retryable: false });
    this.name = 'ChatwootWebhookError';
  }
}

function toConversation(c: z.infer<typeof webhookConversationSchema>): ChatwootWebhookConversation {
  return {
    id: c.id,
    inboxId: c.inbox_id,
    accountId: c.account?.id ?? null,
    status: c.status ?? null,
    channel: c.channel ?? null,
    contactId: c.contact_inbox?.contact_id ?? c.meta?.sender?.id ?? null,
    contactSourceId: c.contact_inbox?.source_id ?? null,
    labels: c.labels ?? [],
  };
}

function toSender(s: z.infer<typeof senderSchema> | null | undefined): ChatwootWebhookSender | null {
  if (!s) return null;
  const known = ['user', 'agent_bot', 'captain_assistant', 'contact'] as const;
  const type = typeof s.type === 'string' ? s.type.toLowerCase() : 'contact';
  const kind = (known as readonly string[]).includes(type) ? (type as ChatwootWebhookSender['kind']) : 'user';
  return { kind, id: s.id ?? null, name: s.name ?? null, email: s.email ?? null };
}

function parseWith<S extends z.ZodType>(schema: S, body: unknown, event: string): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.slice(0, 10).map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  const first = details[0];
  throw new ChatwootWebhookError(`malformed Chatwoot ${event} webhook: ${first?.path}: ${first?.message}`, details);
}

function decode(body: unknown): unknown {
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) return body;
  const text = typeof body === 'string' ? body : Buffer.from(body).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    throw new ChatwootWebhookError('Chatwoot webhook body is not JSON');
  }
}

/** Accepts the parsed JSON or the raw body (string / bytes). Throws ChatwootWebhookError when malformed. */
export function parseChatwootWebhook(body: unknown): ChatwootWebhookEvent {
  const data = decode(body);
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new ChatwootWebhookError('Chatwoot webhook body is not an object');
  const event = (data as { event?: unknown }).event;
  if (typeof event !== 'string' || event === '') throw new ChatwootWebhookError('Chatwoot webhook has no "event"');

  switch (event) {
    case 'message_created':
    case 'message_updated': {
      const m = parseWith(messageEventSchema, data, event);
      const conversation = toConversation(m.conversation);
      const last = m.conversation.messages?.find((x) => x.id === m.id);
      return {
        event: m.event,
        message: {
          id: m.id,
          content: m.content ?? null,
          contentType: m.content_type ?? 'text',
          messageType: m.message_type,
          private: m.private ?? false,
          sourceId: m.source_id || null,
          createdAt: typeof m.created_at === 'number' ? new Date(m.created_at * 1000).toISOString() : (m.created_at ?? null),
          status: last?.status ?? null,
          inboxId: m.inbox?.id ?? conversation.inboxId,
          accountId: m.account?.id ?? conversation.accountId,
          conversation,
          sender: toSender(m.sender),
          attachments: (m.attachments ?? []).map(toAttachment),
          contentAttributes: toContentAttributes(m.content_attributes),
        },
      };
    }
    case 'conversation_typing_on':
    case 'conversation_typing_off': {
      const t = parseWith(typingEventSchema, data, event);
      return { event: t.event, conversation: toConversation(t.conversation), user: toSender(t.user), isPrivate: t.is_private ?? false };
    }
    case 'conversation_status_changed': {
      const s = parseWith(statusEventSchema, data, event);
      return { event: s.event, conversation: toConversation(s), status: s.status };
    }
    default:
      return { event: 'other', name: event };
  }
}
