// JSON exactly as Chatwoot v4.15.1 renders it: the API jbuilder views (integer message_type, unix
// timestamps) and the webhook presenters (string message_type, ISO timestamps, `webhook_data`), with
// key order following the fixtures in shared/contracts/chatwoot/fixtures.
import type { CwAttachment, CwContact, CwContactInbox, CwConversation, CwInbox, CwMessage, CwUser } from './types.ts';

const MESSAGE_TYPE_INT = { incoming: 0, outgoing: 1, activity: 2, template: 3 } as const;

export const unix = (d: Date | null | undefined): number => (d ? Math.floor(d.getTime() / 1000) : 0);
const iso = (d: Date) => d.toISOString();
// Chatwoot's conversation `updated_at` is a float of seconds.
const floatSeconds = (d: Date) => Math.round(d.getTime()) / 1000;

export interface PresenterContext {
  accountId: number;
  accountName: string;
  baseUrl: string;
  contact(id: number): CwContact;
  contactInbox(id: number): CwContactInbox;
  contactInboxesOf(contactId: number): CwContactInbox[];
  inbox(id: number): CwInbox;
  user(id: number): CwUser | undefined;
  messagesOf(conversationId: number): CwMessage[];
  conversation(id: number): CwConversation;
}

// --- people ---------------------------------------------------------------------------------------

export function userPushData(u: CwUser) {
  return { id: u.id, name: u.name, available_name: u.name, avatar_url: '', type: 'user', availability_status: 'online', thumbnail: '' };
}

export function userWebhookData(u: CwUser) {
  return { id: u.id, name: u.name, email: u.email, type: 'user' };
}

export function contactPushData(c: CwContact) {
  return {
    additional_attributes: c.additionalAttributes,
    custom_attributes: c.customAttributes,
    email: c.email,
    id: c.id,
    identifier: c.identifier,
    name: c.name,
    phone_number: c.phoneNumber,
    thumbnail: c.avatarUrl ?? '',
    blocked: c.blocked,
    type: 'contact',
  };
}

/** `Contact#webhook_data`: the push data without `type`, led by the account and the avatar. */
/** `Contact#webhook_data`: the push data without `type`, led by the account and the avatar. */
export function contactWebhookData(ctx: PresenterContext, c: CwContact) {
  const { type: _type, additional_attributes, ...rest } = contactPushData(c);
  return { account: { id: ctx.accountId, name: ctx.accountName }, additional_attributes, avatar: c.avatarUrl ?? '', ...rest };
}

// --- inboxes --------------------------------------------------------------------------------------

export function inboxSlim(i: CwInbox) {
  return { id: i.id, avatar_url: '', channel_id: i.channelId, name: i.name, channel_type: 'Channel::Api', provider: null };
}

/** The raw Inbox row, as `contacts/create` serialises `contact_inbox.inbox`. */
export function inboxRecord(ctx: PresenterContext, i: CwInbox) {
  return {
    id: i.id,
    channel_id: i.channelId,
    account_id: ctx.accountId,
    name: i.name,
    created_at: iso(i.createdAt),
    updated_at: iso(i.createdAt),
    channel_type: 'Channel::Api',
    enable_auto_assignment: i.enableAutoAssignment,
    greeting_enabled: false,
    greeting_message: null,
    email_address: null,
    working_hours_enabled: false,
    out_of_office_message: null,
    timezone: 'UTC',
    enable_email_collect: true,
    csat_survey_enabled: false,
    allow_messages_after_resolved: true,
    auto_assignment_config: {},
    lock_to_single_conversation: i.lockToSingleConversation,
    portal_id: null,
    sender_name_type: 'friendly',
    business_name: null,
    csat_config: {},
  };
}

/** `api/v1/models/_inbox` for an API channel, as an administrator sees it. */
export function inboxView(i: CwInbox) {
  return {
    id: i.id,
    avatar_url: '',
    channel_id: i.channelId,
    name: i.name,
    channel_type: 'Channel::Api',
    greeting_enabled: false,
    greeting_message: null,
    working_hours_enabled: false,
    enable_email_collect: true,
    csat_survey_enabled: false,
    enable_auto_assignment: i.enableAutoAssignment,
    auto_assignment_config: {},
    out_of_office_message: null,
    working_hours: [],
    timezone: 'UTC',
    callback_webhook_url: null,
    allow_messages_after_resolved: true,
    lock_to_single_conversation: i.lockToSingleConversation,
    sender_name_type: 'friendly',
    business_name: null,
    widget_color: null,
    website_url: null,
    hmac_mandatory: i.hmacMandatory,
    welcome_title: null,
    welcome_tagline: null,
    web_widget_script: null,
    website_token: null,
    selected_feature_flags: null,
    reply_time: null,
    messaging_service_sid: null,
    phone_number: null,
    hmac_token: i.hmacToken,
    webhook_url: i.webhookUrl,
    inbox_identifier: i.identifier,
    additional_attributes: i.additionalAttributes,
    ...(i.secret === null ? {} : { secret: i.secret }),
    provider: null,
  };
}

// --- contacts -------------------------------------------------------------------------------------

export function contactInboxView(ctx: PresenterContext, ci: CwContactInbox) {
  return { source_id: ci.sourceId, inbox: inboxSlim(ctx.inbox(ci.inboxId)) };
}

/** `api/v1/models/_contact`, with contact_inboxes as the /contacts endpoints render it. */
export function contactView(ctx: PresenterContext, c: CwContact, withContactInboxes = true) {
  return {
    additional_attributes: c.additionalAttributes,
    availability_status: 'offline',
    email: c.email,
    id: c.id,
    name: c.name,
    phone_number: c.phoneNumber,
    blocked: c.blocked,
    identifier: c.identifier,
    thumbnail: c.avatarUrl ?? '',
    custom_attributes: c.customAttributes,
    created_at: unix(c.createdAt),
    ...(withContactInboxes ? { contact_inboxes: ctx.contactInboxesOf(c.id).map((ci) => contactInboxView(ctx, ci)) } : {}),
  };
}

// --- attachments and messages ---------------------------------------------------------------------

export function attachmentUrl(ctx: PresenterContext, a: CwAttachment): string {
  return `${ctx.baseUrl}/rails/active_storage/blobs/redirect/${a.key}/${encodeURIComponent(a.fileName)}`;
}

export function attachmentPushData(ctx: PresenterContext, a: CwAttachment) {
  const url = attachmentUrl(ctx, a);
  const isAudio = a.fileType === 'audio';
  return {
    id: a.id,
    message_id: a.messageId,
    file_type: a.fileType,
    account_id: ctx.accountId,
    extension: a.fileName.includes('.') ? (a.fileName.split('.').pop() ?? null) : null,
    content_type: a.contentType,
    // Audio links ask for inline disposition so the dashboard player can stream them.
    data_url: isAudio ? `${url}?disposition=inline` : url,
    thumb_url:
      a.fileType === 'image'
        ? `${ctx.baseUrl}/rails/active_storage/representations/redirect/${a.key}/thumb/${encodeURIComponent(a.fileName)}`
        : '',
    file_size: a.data.length,
    width: null,
    height: null,
    ...(isAudio ? { transcribed_text: '' } : {}),
  };
}

function senderPushData(ctx: PresenterContext, m: CwMessage) {
  if (m.senderType === 'Contact' && m.senderId !== null) return contactPushData(ctx.contact(m.senderId));
  if (m.senderType === 'User' && m.senderId !== null) {
    const user = ctx.user(m.senderId);
    return user ? userPushData(user) : null;
  }
  return null;
}

function senderWebhookData(ctx: PresenterContext, m: CwMessage) {
  if (m.senderType === 'Contact' && m.senderId !== null) return contactWebhookData(ctx, ctx.contact(m.senderId));
  if (m.senderType === 'User' && m.senderId !== null) {
    const user = ctx.user(m.senderId);
    return user ? userWebhookData(user) : null;
  }
  return null;
}

/** `api/v1/models/_message`: the create/update/destroy answer. */
export function messageView(ctx: PresenterContext, m: CwMessage) {
  const sender = senderPushData(ctx, m);
  return {
    id: m.id,
    content: m.content,
    inbox_id: m.inboxId,
    ...(m.echoId ? { echo_id: m.echoId } : {}),
    conversation_id: m.conversationId,
    message_type: MESSAGE_TYPE_INT[m.messageType],
    content_type: m.contentType,
    status: m.status,
    content_attributes: m.contentAttributes,
    created_at: unix(m.createdAt),
    private: m.private,
    source_id: m.sourceId,
    ...(m.attachments.length ? { attachments: m.attachments.map((a) => attachmentPushData(ctx, a)) } : {}),
    ...(sender ? { sender } : {}),
  };
}

function unreadCount(ctx: PresenterContext, conv: CwConversation): number {
  const seen = conv.agentLastSeenAt?.getTime() ?? 0;
  return ctx.messagesOf(conv.id).filter((m) => m.messageType === 'incoming' && m.createdAt.getTime() > seen).length;
}

/** `Message#push_event_data`: every column, integer message_type, plus a conversation summary. */
export function messagePushData(ctx: PresenterContext, m: CwMessage) {
  const conv = ctx.conversation(m.conversationId);
  const sender = senderPushData(ctx, m);
  return {
    id: m.id,
    content: m.content,
    account_id: ctx.accountId,
    inbox_id: m.inboxId,
    conversation_id: m.conversationId,
    message_type: MESSAGE_TYPE_INT[m.messageType],
    created_at: unix(m.createdAt),
    updated_at: iso(m.updatedAt),
    private: m.private,
    status: m.status,
    source_id: m.sourceId,
    content_type: m.contentType,
    content_attributes: m.contentAttributes,
    sender_type: m.senderType,
    sender_id: m.senderId,
    external_source_ids: {},
    additional_attributes: {},
    processed_message_content: m.content,
    sentiment: {},
    conversation: {
      assignee_id: conv.assigneeId,
      unread_count: unreadCount(ctx, conv),
      last_activity_at: unix(conv.lastActivityAt),
      contact_inbox: { source_id: ctx.contactInbox(conv.contactInboxId).sourceId },
    },
    ...(m.attachments.length ? { attachments: m.attachments.map((a) => attachmentPushData(ctx, a)) } : {}),
    ...(sender ? { sender } : {}),
  };
}

// --- conversations --------------------------------------------------------------------------------

function lastChatMessage(ctx: PresenterContext, conv: CwConversation): CwMessage | undefined {
  return ctx
    .messagesOf(conv.id)
    .filter((m) => m.messageType !== 'activity' && !m.private)
    .at(-1);
}

function assigneeData(ctx: PresenterContext, conv: CwConversation) {
  const assignee = conv.assigneeId === null ? undefined : ctx.user(conv.assigneeId);
  return assignee ? userPushData(assignee) : null;
}

/** `conversations/partials/_conversation`: what create, show and the contact's list answer. */
export function conversationView(ctx: PresenterContext, conv: CwConversation) {
  const contact = ctx.contact(conv.contactId);
  const assignee = assigneeData(ctx, conv);
  const last = lastChatMessage(ctx, conv);
  return {
    meta: {
      sender: contactView(ctx, contact, false),
      ...(assignee ? { assignee } : {}),
      channel: 'Channel::Api',
      hmac_verified: false,
    },
    id: conv.id,
    messages: last ? [messageView(ctx, last)] : [],
    account_id: ctx.accountId,
    uuid: conv.uuid,
    additional_attributes: conv.additionalAttributes,
    agent_last_seen_at: unix(conv.agentLastSeenAt),
    assignee_last_seen_at: 0,
    can_reply: true,
    contact_last_seen_at: unix(conv.contactLastSeenAt),
    custom_attributes: conv.customAttributes,
    inbox_id: conv.inboxId,
    labels: conv.labels,
    muted: false,
    snoozed_until: conv.snoozedUntil ? unix(conv.snoozedUntil) : null,
    status: conv.status,
    created_at: unix(conv.createdAt),
    updated_at: floatSeconds(conv.updatedAt),
    timestamp: unix(conv.lastActivityAt),
    first_reply_created_at: unix(conv.firstReplyCreatedAt),
    unread_count: unreadCount(ctx, conv),
    last_non_activity_message: last ? messageView(ctx, last) : null,
    last_activity_at: unix(conv.lastActivityAt),
    priority: null,
    waiting_since: conv.waitingSince,
    sla_policy_id: null,
  };
}

/** `Conversation#webhook_data` (EventDataPresenter#push_data + account). */
export function conversationWebhookData(ctx: PresenterContext, conv: CwConversation) {
  const ci = ctx.contactInbox(conv.contactInboxId);
  const last = lastChatMessage(ctx, conv);
  const assignee = assigneeData(ctx, conv);
  return {
    additional_attributes: conv.additionalAttributes,
    can_reply: true,
    channel: 'Channel::Api',
    contact_inbox: {
      id: ci.id,
      contact_id: ci.contactId,
      inbox_id: ci.inboxId,
      source_id: ci.sourceId,
      created_at: iso(ci.createdAt),
      updated_at: iso(ci.updatedAt),
      hmac_verified: false,
      pubsub_token: ci.pubsubToken,
    },
    id: conv.id,
    inbox_id: conv.inboxId,
    messages: last ? [messagePushData(ctx, last)] : [],
    labels: conv.labels,
    meta: {
      sender: contactPushData(ctx.contact(conv.contactId)),
      assignee,
      assignee_type: assignee ? 'User' : null,
      team: null,
      hmac_verified: false,
    },
    status: conv.status,
    custom_attributes: conv.customAttributes,
    snoozed_until: conv.snoozedUntil ? iso(conv.snoozedUntil) : null,
    unread_count: unreadCount(ctx, conv),
    first_reply_created_at: conv.firstReplyCreatedAt ? iso(conv.firstReplyCreatedAt) : null,
    priority: null,
    waiting_since: conv.waitingSince,
    agent_last_seen_at: unix(conv.agentLastSeenAt),
    contact_last_seen_at: unix(conv.contactLastSeenAt),
    last_activity_at: unix(conv.lastActivityAt),
    timestamp: unix(conv.lastActivityAt),
    created_at: unix(conv.createdAt),
    updated_at: floatSeconds(conv.updatedAt),
    account: { id: ctx.accountId, name: ctx.accountName },
  };
}

/** `Message#webhook_data.merge(event:)`. */
export function messageWebhookPayload(ctx: PresenterContext, m: CwMessage, event: 'message_created' | 'message_updated') {
  const inbox = ctx.inbox(m.inboxId);
  return {
    account: { id: ctx.accountId, name: ctx.accountName },
    additional_attributes: {},
    content_attributes: m.contentAttributes,
    content_type: m.contentType,
    content: m.content,
    conversation: conversationWebhookData(ctx, ctx.conversation(m.conversationId)),
    created_at: iso(m.createdAt),
    id: m.id,
    inbox: { id: inbox.id, name: inbox.name },
    message_type: m.messageType,
    private: m.private,
    sender: senderWebhookData(ctx, m),
    source_id: m.sourceId,
    ...(m.attachments.length ? { attachments: m.attachments.map((a) => attachmentPushData(ctx, a)) } : {}),
    event,
  };
}
