// Shapes Chatwoot answers with (v4.15 jbuilder views and presenters), validated only as far as the Hub
// reads them and passed through otherwise, plus the mapping to the client's camelCase types. Two
// serialisations coexist in Chatwoot: API views and push data use an integer `message_type`, message
// webhooks a string; both land in the same union here.
import { z } from 'zod';

const attributesSchema = z.record(z.string(), z.unknown());
const idSchema = z.number().int();

export type ChatwootMessageType = 'incoming' | 'outgoing' | 'activity' | 'template';
const MESSAGE_TYPES: ChatwootMessageType[] = ['incoming', 'outgoing', 'activity', 'template'];

export const messageTypeSchema = z
  .union([z.enum(MESSAGE_TYPES), z.number().int().min(0).max(3)])
  .transform((v): ChatwootMessageType => (typeof v === 'number' ? (MESSAGE_TYPES[v] as ChatwootMessageType) : v));

export const attachmentSchema = z.looseObject({
  id: idSchema,
  message_id: idSchema.nullish(),
  file_type: z.string(),
  account_id: idSchema.nullish(),
  extension: z.string().nullish(),
  content_type: z.string().nullish(),
  data_url: z.string().nullish(),
  thumb_url: z.string().nullish(),
  file_size: z.number().nullish(),
  width: z.number().nullish(),
  height: z.number().nullish(),
  fallback_title: z.string().nullish(),
  coordinates_lat: z.number().nullish(),
  coordinates_long: z.number().nullish(),
});

export interface ChatwootAttachment {
  id: number;
  /** image, audio, video, file, location, contact, fallback, … */
  fileType: string;
  dataUrl: string | null;
  thumbUrl: string | null;
  /** Chatwoot sends no file name field; it is the last segment of `data_url`. */
  fileName: string | null;
  extension: string | null;
  contentType: string | null;
  fileSize: number | null;
  fallbackTitle: string | null;
  coordinates: { latitude: number; longitude: number } | null;
}

function fileNameFromUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const last = new URL(url).pathname.split('/').pop();
    return last ? decodeURIComponent(last) : null;
  } catch {
    return null;
  }
}

export function toAttachment(a: z.infer<typeof attachmentSchema>): ChatwootAttachment {
  // Location "data_url" is the map link, not a file.
  const hasFile = !['location', 'contact', 'fallback'].includes(a.file_type);
  return {
    id: a.id,
    fileType: a.file_type,
    dataUrl: a.data_url ?? null,
    thumbUrl: a.thumb_url ?? null,
    fileName: hasFile ? fileNameFromUrl(a.data_url) : null,
    extension: a.extension ?? null,
    contentType: a.content_type ?? null,
    fileSize: a.file_size ?? null,
    fallbackTitle: a.fallback_title ?? null,
    coordinates:
      typeof a.coordinates_lat === 'number' && typeof a.coordinates_long === 'number'
        ? { latitude: a.coordinates_lat, longitude: a.coordinates_long }
        : null,
  };
}

export interface ChatwootContentAttributes {
  /** Chatwoot id of the quoted message. */
  inReplyTo: number | null;
  /** source_id (provider id) of the quoted message. */
  inReplyToExternalId: string | null;
  deleted: boolean;
  externalEcho: boolean;
  externalError: string | null;
  /** Everything Chatwoot stored, including keys not mapped above. */
  raw: Record<string, unknown>;
}

export function toContentAttributes(raw: Record<string, unknown> | null | undefined): ChatwootContentAttributes {
  const attrs = raw ?? {};
  const inReplyTo = attrs.in_reply_to;
  const external = attrs.in_reply_to_external_id;
  return {
    inReplyTo:
      typeof inReplyTo === 'number' ? inReplyTo : typeof inReplyTo === 'string' && /^\d+$/.test(inReplyTo) ? Number(inReplyTo) : null,
    inReplyToExternalId: typeof external === 'string' && external !== '' ? external : null,
    deleted: attrs.deleted === true || attrs.deleted === 'true',
    externalEcho: attrs.external_echo === true || attrs.external_echo === 'true',
    externalError: typeof attrs.external_error === 'string' ? attrs.external_error : null,
    raw: attrs,
  };
}

// --- contacts -------------------------------------------------------------------------------------

const inboxSlimSchema = z.looseObject({ id: idSchema, name: z.string().nullish(), channel_type: z.string().nullish() });

export const contactInboxSchema = z.looseObject({ source_id: z.string().nullish(), inbox: inboxSlimSchema.nullish() });

export const contactSchema = z.looseObject({
  id: idSchema,
  name: z.string().nullish(),
  email: z.string().nullish(),
  phone_number: z.string().nullish(),
  identifier: z.string().nullish(),
  blocked: z.boolean().nullish(),
  custom_attributes: attributesSchema.nullish(),
  additional_attributes: attributesSchema.nullish(),
  contact_inboxes: z.array(contactInboxSchema).nullish(),
});

export interface ChatwootContactInbox {
  sourceId: string;
  inboxId: number;
}

export interface ChatwootContact {
  id: number;
  name: string | null;
  email: string | null;
  phoneNumber: string | null;
  identifier: string | null;
  blocked: boolean;
  customAttributes: Record<string, unknown>;
  additionalAttributes: Record<string, unknown>;
  /** Present when the view includes them (filter, create, contact_inboxes/filter). */
  contactInboxes: ChatwootContactInbox[];
}

export function toContactInbox(ci: z.infer<typeof contactInboxSchema>): ChatwootContactInbox | null {
  return ci.source_id && ci.inbox ? { sourceId: ci.source_id, inboxId: ci.inbox.id } : null;
}

export function toContact(c: z.infer<typeof contactSchema>): ChatwootContact {
  return {
    id: c.id,
    name: c.name ?? null,
    email: c.email ?? null,
    phoneNumber: c.phone_number ?? null,
    identifier: c.identifier ?? null,
    blocked: c.blocked ?? false,
    customAttributes: c.custom_attributes ?? {},
    additionalAttributes: c.additional_attributes ?? {},
    contactInboxes: (c.contact_inboxes ?? []).map(toContactInbox).filter((x): x is ChatwootContactInbox => x !== null),
  };
}

export const contactCreateResponseSchema = z.looseObject({
  payload: z.looseObject({ contact: contactSchema, contact_inbox: contactInboxSchema.nullish() }),
});
export const contactPayloadSchema = z.looseObject({ payload: contactSchema });
export const contactListSchema = z.looseObject({
  meta: z.looseObject({ count: z.number().nullish() }).nullish(),
  payload: z.array(contactSchema),
});

// --- conversations --------------------------------------------------------------------------------

export type ChatwootConversationStatus = 'open' | 'resolved' | 'pending' | 'snoozed';
const conversationStatusSchema = z.enum(['open', 'resolved', 'pending', 'snoozed']);

export const conversationSchema = z.looseObject({
  id: idSchema,
  inbox_id: idSchema,
  account_id: idSchema.nullish(),
  status: conversationStatusSchema,
  last_activity_at: z.number().nullish(),
  created_at: z.number().nullish(),
  meta: z.looseObject({ sender: z.looseObject({ id: idSchema }).nullish() }).nullish(),
  contact_inbox: z.looseObject({ source_id: z.string().nullish() }).nullish(),
});

export interface ChatwootConversation {
  /** The per-account display id every conversation path uses. */
  id: number;
  inboxId: number;
  status: ChatwootConversationStatus;
  contactId: number | null;
  lastActivityAt: number | null;
}

export function toConversation(c: z.infer<typeof conversationSchema>): ChatwootConversation {
  return {
    id: c.id,
    inboxId: c.inbox_id,
    status: c.status,
    contactId: c.meta?.sender?.id ?? null,
    lastActivityAt: c.last_activity_at ?? null,
  };
}

export const conversationListSchema = z.looseObject({ payload: z.array(conversationSchema) });
export const toggleStatusResponseSchema = z.looseObject({
  payload: z.looseObject({ success: z.boolean(), conversation_id: idSchema, current_status: conversationStatusSchema }),
});

// --- messages -------------------------------------------------------------------------------------

export type ChatwootMessageStatus = 'sent' | 'delivered' | 'read' | 'failed';

export const apiMessageSchema = z.looseObject({
  id: idSchema,
  content: z.string().nullish(),
  inbox_id: idSchema,
  conversation_id: idSchema,
  message_type: messageTypeSchema,
  content_type: z.string().nullish(),
  status: z.string().nullish(),
  content_attributes: attributesSchema.nullish(),
  created_at: z.union([z.number(), z.string()]).nullish(),
  private: z.boolean().nullish(),
  source_id: z.string().nullish(),
  attachments: z.array(attachmentSchema).nullish(),
});

export interface ChatwootMessage {
  id: number;
  conversationId: number;
  inboxId: number;
  messageType: ChatwootMessageType;
  content: string | null;
  contentType: string;
  status: string | null;
  private: boolean;
  sourceId: string | null;
  contentAttributes: ChatwootContentAttributes;
  /** Unix seconds. */
  createdAt: number | null;
  attachments: ChatwootAttachment[];
}

export function toMessage(m: z.infer<typeof apiMessageSchema>): ChatwootMessage {
  const created = typeof m.created_at === 'string' ? Math.floor(Date.parse(m.created_at) / 1000) : (m.created_at ?? null);
  return {
    id: m.id,
    conversationId: m.conversation_id,
    inboxId: m.inbox_id,
    messageType: m.message_type,
    content: m.content ?? null,
    contentType: m.content_type ?? 'text',
    status: m.status ?? null,
    private: m.private ?? false,
    sourceId: m.source_id ?? null,
    contentAttributes: toContentAttributes(m.content_attributes),
    createdAt: Number.isNaN(created) ? null : created,
    attachments: (m.attachments ?? []).map(toAttachment),
  };
}

export const messageListSchema = z.looseObject({ payload: z.array(apiMessageSchema) });

// --- inboxes --------------------------------------------------------------------------------------

export const inboxSchema = z.looseObject({
  id: idSchema,
  name: z.string(),
  channel_id: idSchema.nullish(),
  channel_type: z.string(),
  webhook_url: z.string().nullish(),
  inbox_identifier: z.string().nullish(),
  hmac_token: z.string().nullish(),
  secret: z.string().nullish(),
  lock_to_single_conversation: z.boolean().nullish(),
  additional_attributes: attributesSchema.nullish(),
});

export interface ChatwootInbox {
  id: number;
  name: string;
  channelType: string;
  webhookUrl: string | null;
  /** The API inbox identifier the public (client) API addresses. */
  inboxIdentifier: string | null;
  /** Webhook signing secret (v4.13+, administrators only). */
  secret: string | null;
  hmacToken: string | null;
  lockToSingleConversation: boolean;
}

export function toInbox(i: z.infer<typeof inboxSchema>): ChatwootInbox {
  return {
    id: i.id,
    name: i.name,
    channelType: i.channel_type,
    webhookUrl: i.webhook_url ?? null,
    inboxIdentifier: i.inbox_identifier ?? null,
    secret: i.secret ?? null,
    hmacToken: i.hmac_token ?? null,
    lockToSingleConversation: i.lock_to_single_conversation ?? false,
  };
}

export const inboxListSchema = z.looseObject({ payload: z.array(inboxSchema) });
