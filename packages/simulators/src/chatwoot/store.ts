// Chatwoot's state and its model rules (validations, builders, callbacks) for one account, as read from
// v4.15.1 in shared/contracts/chatwoot.md. Every change that Chatwoot turns into an inbox webhook calls
// `emit` with the payload built at that moment.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  contactWebhookData,
  conversationWebhookData,
  messageWebhookPayload,
  type PresenterContext,
  userWebhookData,
} from './presenters.ts';
import type {
  CwAttachment,
  CwContact,
  CwContactInbox,
  CwConversation,
  CwConversationStatus,
  CwInbox,
  CwMessage,
  CwMessageStatus,
  CwMessageType,
  CwUser,
} from './types.ts';

/** An HTTP answer a model rule produces (422 validation, 404 not found, …). */
export class SimHttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(`simulated ${status}`);
  }
}

export const notFound = () => new SimHttpError(404, { error: 'Resource could not be found' });

/** ActiveRecord's `find`: the record, or Chatwoot's 404. */
function found<T>(record: T | undefined): T {
  if (record === undefined) throw notFound();
  return record;
}

// Contact validation (app/models/contact.rb): E.164 with "+", no start anchor.
const PHONE_FORMAT = /\+[1-9]\d{1,14}$/;

export type EmitFn = (inboxId: number, event: string, body: Record<string, unknown>) => void;

export interface NewContact {
  name?: string | null;
  email?: string | null;
  phoneNumber?: string | null;
  identifier?: string | null;
  avatarUrl?: string | null;
  blocked?: boolean;
  customAttributes?: Record<string, unknown>;
  additionalAttributes?: Record<string, unknown>;
}

export interface NewMessage {
  messageType: CwMessageType;
  content?: string | null;
  contentType?: string;
  contentAttributes?: Record<string, unknown>;
  private?: boolean;
  sourceId?: string | null;
  echoId?: string | null;
  /** Who wrote an outgoing message: a user id, or null for automation/template messages. */
  userId?: number | null;
  attachments?: { data: Buffer; fileName: string; contentType: string }[];
  isVoiceMessage?: boolean;
  externalCreatedAt?: unknown;
}

function fileTypeOf(contentType: string): CwAttachment['fileType'] {
  if (['image/jpeg', 'image/png', 'image/gif', 'image/bmp', 'image/webp'].includes(contentType)) return 'image';
  if (['video/ogg', 'video/mp4', 'video/webm', 'video/quicktime'].includes(contentType)) return 'video';
  if (contentType.includes('audio/')) return 'audio';
  return 'file';
}

export class ChatwootStore implements PresenterContext {
  readonly users = new Map<number, CwUser>();
  readonly inboxes = new Map<number, CwInbox>();
  readonly contacts = new Map<number, CwContact>();
  readonly contactInboxes = new Map<number, CwContactInbox>();
  readonly conversations = new Map<number, CwConversation>();
  readonly messages = new Map<number, CwMessage>();
  readonly blobs = new Map<string, CwAttachment>();
  #seq = freshSequences();

  constructor(
    readonly accountId: number,
    readonly accountName: string,
    public baseUrl: string,
    readonly hubUser: CwUser,
    agents: CwUser[],
    readonly signing: boolean,
    readonly floodLimit: number,
    private readonly emit: EmitFn,
  ) {
    for (const u of [hubUser, ...agents]) this.users.set(u.id, u);
  }

  clear(): void {
    for (const map of [this.inboxes, this.contacts, this.contactInboxes, this.conversations, this.messages, this.blobs]) map.clear();
    this.#seq = freshSequences();
  }

  // --- PresenterContext ---------------------------------------------------------------------------

  contact(id: number): CwContact {
    return found(this.contacts.get(id));
  }
  contactInbox(id: number): CwContactInbox {
    return found(this.contactInboxes.get(id));
  }
  contactInboxesOf(contactId: number): CwContactInbox[] {
    return [...this.contactInboxes.values()].filter((ci) => ci.contactId === contactId);
  }
  inbox(id: number): CwInbox {
    return found(this.inboxes.get(id));
  }
  user(id: number): CwUser | undefined {
    return this.users.get(id);
  }
  messagesOf(conversationId: number): CwMessage[] {
    return [...this.messages.values()].filter((m) => m.conversationId === conversationId);
  }
  conversation(id: number): CwConversation {
    return found(this.conversations.get(id));
  }
  message(conversationId: number, id: number): CwMessage {
    const m = this.messages.get(id);
    if (!m || m.conversationId !== conversationId) throw notFound();
    return m;
  }

  // --- inboxes ------------------------------------------------------------------------------------

  createInbox(input: {
    name: string;
    webhookUrl?: string | null;
    hmacMandatory?: boolean;
    lockToSingleConversation?: boolean;
    enableAutoAssignment?: boolean;
    additionalAttributes?: Record<string, unknown>;
  }): CwInbox {
    const inbox: CwInbox = {
      id: ++this.#seq.inbox,
      channelId: ++this.#seq.channel,
      name: input.name,
      webhookUrl: input.webhookUrl || null,
      identifier: randomBytes(12).toString('base64url'),
      hmacToken: randomBytes(12).toString('base64url'),
      secret: this.signing ? randomBytes(24).toString('base64url') : null,
      hmacMandatory: input.hmacMandatory ?? false,
      lockToSingleConversation: input.lockToSingleConversation ?? false,
      enableAutoAssignment: input.enableAutoAssignment ?? true,
      additionalAttributes: input.additionalAttributes ?? {},
      createdAt: new Date(),
    };
    this.inboxes.set(inbox.id, inbox);
    return inbox;
  }

  inboxByIdentifier(identifier: string): CwInbox {
    const inbox = [...this.inboxes.values()].find((i) => i.identifier === identifier);
    if (!inbox) throw notFound();
    return inbox;
  }

  // --- contacts -----------------------------------------------------------------------------------

  #validateContact(fields: NewContact, selfId?: number): void {
    const errors: [string, string][] = [];
    const others = [...this.contacts.values()].filter((c) => c.id !== selfId);
    if (fields.phoneNumber) {
      if (!PHONE_FORMAT.test(fields.phoneNumber)) errors.push(['phone_number', 'Phone number should be in e164 format']);
      else if (others.some((c) => c.phoneNumber === fields.phoneNumber))
        errors.push(['phone_number', 'Phone number has already been taken']);
    }
    if (fields.identifier && others.some((c) => c.identifier === fields.identifier))
      errors.push(['identifier', 'Identifier has already been taken']);
    if (fields.email && others.some((c) => c.email?.toLowerCase() === fields.email?.toLowerCase()))
      errors.push(['email', 'Email has already been taken']);
    if (fields.name && fields.name.length > 255) errors.push(['name', 'Name is too long (maximum is 255 characters)']);
    if (errors.length > 0) {
      throw new SimHttpError(422, { message: errors.map(([, m]) => m).join(', '), attributes: [...new Set(errors.map(([a]) => a))] });
    }
  }

  createContact(fields: NewContact): CwContact {
    this.#validateContact(fields);
    const contact: CwContact = {
      id: ++this.#seq.contact,
      name: fields.name ?? '',
      email: fields.email ?? null,
      phoneNumber: fields.phoneNumber || null,
      identifier: fields.identifier || null,
      avatarUrl: fields.avatarUrl ?? null,
      blocked: fields.blocked ?? false,
      customAttributes: fields.customAttributes ?? {},
      additionalAttributes: fields.additionalAttributes ?? {},
      createdAt: new Date(),
    };
    this.contacts.set(contact.id, contact);
    return contact;
  }

  /** Custom and additional attributes merge into what is stored, as Chatwoot's update does. */
  updateContact(contact: CwContact, fields: NewContact): CwContact {
    this.#validateContact(fields, contact.id);
    if (fields.name !== undefined && fields.name !== null) contact.name = fields.name;
    if (fields.email !== undefined) contact.email = fields.email;
    if (fields.phoneNumber !== undefined) contact.phoneNumber = fields.phoneNumber || null;
    if (fields.identifier !== undefined) contact.identifier = fields.identifier || null;
    if (fields.avatarUrl !== undefined) contact.avatarUrl = fields.avatarUrl;
    if (fields.blocked !== undefined) contact.blocked = fields.blocked;
    if (fields.customAttributes) contact.customAttributes = { ...contact.customAttributes, ...fields.customAttributes };
    if (fields.additionalAttributes) contact.additionalAttributes = { ...contact.additionalAttributes, ...fields.additionalAttributes };
    return contact;
  }

  findContactInbox(inboxId: number, sourceId: string): CwContactInbox | undefined {
    return [...this.contactInboxes.values()].find((ci) => ci.inboxId === inboxId && ci.sourceId === sourceId);
  }

  /**
   * ContactInboxBuilder: reuses the contact's own row; a source id held by another contact in the
   * inbox violates the unique index, which the contact_inboxes controller does not rescue (a 500).
   */
  createContactInbox(contactId: number, inboxId: number, sourceId: string | undefined, clash: SimHttpError): CwContactInbox {
    this.inbox(inboxId);
    const source = sourceId || randomUUID();
    const existing = this.findContactInbox(inboxId, source);
    if (existing) {
      if (existing.contactId === contactId) return existing;
      throw clash;
    }
    const now = new Date();
    const ci: CwContactInbox = {
      id: ++this.#seq.contactInbox,
      contactId,
      inboxId,
      sourceId: source,
      pubsubToken: randomBytes(12).toString('base64url'),
      createdAt: now,
      updatedAt: now,
    };
    this.contactInboxes.set(ci.id, ci);
    return ci;
  }

  // --- conversations ------------------------------------------------------------------------------

  createConversation(input: {
    inboxId: number;
    contactId: number;
    sourceId?: string;
    status?: CwConversationStatus;
    assigneeId?: number | null;
    teamId?: number | null;
    customAttributes?: Record<string, unknown>;
    additionalAttributes?: Record<string, unknown>;
  }): CwConversation {
    const inbox = this.inbox(input.inboxId);
    const contact = this.contact(input.contactId);
    const ci = this.createContactInbox(
      contact.id,
      inbox.id,
      input.sourceId,
      new SimHttpError(422, { error: 'source_id should be unique' }),
    );
    if (inbox.lockToSingleConversation) {
      const last = [...this.conversations.values()].filter((c) => c.contactInboxId === ci.id).at(-1);
      if (last) return last;
    }
    const now = new Date();
    const conv: CwConversation = {
      id: ++this.#seq.conversation,
      uuid: randomUUID(),
      inboxId: inbox.id,
      contactId: contact.id,
      contactInboxId: ci.id,
      status: contact.blocked ? 'resolved' : (input.status ?? 'open'),
      assigneeId: input.assigneeId ?? null,
      teamId: input.teamId ?? null,
      labels: [],
      customAttributes: input.customAttributes ?? {},
      additionalAttributes: input.additionalAttributes ?? {},
      snoozedUntil: null,
      firstReplyCreatedAt: null,
      waitingSince: unixNow(),
      agentLastSeenAt: null,
      contactLastSeenAt: null,
      lastActivityAt: now,
      createdAt: now,
      updatedAt: now,
    };
    this.conversations.set(conv.id, conv);
    this.emit(conv.inboxId, 'conversation_created', { ...conversationWebhookData(this, conv), event: 'conversation_created' });
    return conv;
  }

  /** Both events Chatwoot fires on a status change; `conversation_status_changed` carries no old value. */
  setConversationStatus(conv: CwConversation, status: CwConversationStatus, snoozedUntil: Date | null = null): void {
    const previous = conv.status;
    if (previous === status && status !== 'snoozed') return;
    conv.status = status;
    conv.snoozedUntil = status === 'snoozed' ? snoozedUntil : null;
    conv.updatedAt = new Date();
    const data = conversationWebhookData(this, conv);
    this.emit(conv.inboxId, 'conversation_status_changed', { ...data, event: 'conversation_status_changed', changed_attributes: null });
    this.emit(conv.inboxId, 'conversation_updated', {
      ...data,
      event: 'conversation_updated',
      changed_attributes: [{ status: { previous_value: previous, current_value: status } }],
    });
  }

  /** Assignment and labels: Chatwoot reports both through `conversation_updated`. */
  updateConversation(conv: CwConversation, change: { assigneeId?: number | null; labels?: string[] }): void {
    const changed: Record<string, { previous_value: unknown; current_value: unknown }>[] = [];
    if (change.assigneeId !== undefined && change.assigneeId !== conv.assigneeId) {
      changed.push({ assignee_id: { previous_value: conv.assigneeId, current_value: change.assigneeId } });
      conv.assigneeId = change.assigneeId;
    }
    if (change.labels && JSON.stringify(change.labels) !== JSON.stringify(conv.labels)) {
      changed.push({ label_list: { previous_value: conv.labels, current_value: change.labels } });
      conv.labels = [...change.labels];
    }
    if (changed.length === 0) return;
    conv.updatedAt = new Date();
    this.emit(conv.inboxId, 'conversation_updated', {
      ...conversationWebhookData(this, conv),
      event: 'conversation_updated',
      changed_attributes: changed,
    });
  }

  typing(conv: CwConversation, on: boolean, who: { user: CwUser } | { contact: CwContact }, isPrivate: boolean): void {
    const user = 'user' in who ? userWebhookData(who.user) : contactWebhookData(this, who.contact);
    const event = on ? 'conversation_typing_on' : 'conversation_typing_off';
    this.emit(conv.inboxId, event, { event, user, conversation: conversationWebhookData(this, conv), is_private: isPrivate });
  }

  // --- messages -----------------------------------------------------------------------------------

  /** Messages::MessageBuilder + Message callbacks: reply linkage, reopening, flood guard, webhook. */
  createMessage(conv: CwConversation, input: NewMessage): CwMessage {
    const now = new Date();
    const recent = this.messagesOf(conv.id).filter((m) => now.getTime() - m.createdAt.getTime() < 60_000).length;
    if (recent >= this.floodLimit) throw new SimHttpError(422, { error: 'Validation failed: Too many messages' });

    const attrs: Record<string, unknown> = { ...input.contentAttributes };
    if (input.externalCreatedAt !== undefined && input.externalCreatedAt !== null && input.externalCreatedAt !== '')
      attrs.external_created_at = input.externalCreatedAt;
    // Messages::InReplyToMessageBuilder: both keys from the quoted message, or both null when it is not in this conversation.
    if (attrs.in_reply_to != null || attrs.in_reply_to_external_id != null) {
      const siblings = this.messagesOf(conv.id);
      const quoted =
        attrs.in_reply_to != null
          ? siblings.find((m) => m.id === Number(attrs.in_reply_to))
          : siblings.find((m) => m.sourceId !== null && m.sourceId === attrs.in_reply_to_external_id);
      attrs.in_reply_to = quoted?.id ?? null;
      attrs.in_reply_to_external_id = quoted?.sourceId ?? null;
    }

    const incoming = input.messageType === 'incoming';
    const id = ++this.#seq.message;
    const message: CwMessage = {
      id,
      conversationId: conv.id,
      inboxId: conv.inboxId,
      messageType: input.messageType,
      content: input.content ?? null,
      contentType: input.contentType || 'text',
      contentAttributes: attrs,
      private: input.private ?? false,
      status: 'sent',
      sourceId: input.sourceId || null,
      echoId: input.echoId || null,
      senderType: incoming ? 'Contact' : input.userId == null ? null : 'User',
      senderId: incoming ? conv.contactId : (input.userId ?? null),
      attachments: (input.attachments ?? []).map((file) => {
        const contentType = file.contentType;
        const fileType = fileTypeOf(contentType);
        const attachment: CwAttachment = {
          id: ++this.#seq.attachment,
          messageId: id,
          fileType,
          contentType,
          fileName: file.fileName,
          data: file.data,
          key: randomBytes(18).toString('base64url'),
          isVoiceMessage: fileType === 'audio' && (input.isVoiceMessage ?? false),
        };
        this.blobs.set(attachment.key, attachment);
        return attachment;
      }),
      createdAt: now,
      updatedAt: now,
    };
    this.messages.set(id, message);

    // Message#reopen_conversation: a customer writing into a resolved or snoozed conversation reopens it.
    if (incoming && (conv.status === 'resolved' || conv.status === 'snoozed')) this.setConversationStatus(conv, 'open');
    if (message.messageType !== 'activity') conv.lastActivityAt = now;
    if (incoming && conv.waitingSince === 0) conv.waitingSince = unixNow();
    if (message.messageType === 'outgoing' && message.senderType === 'User' && !message.private) {
      conv.firstReplyCreatedAt ??= now;
      conv.waitingSince = 0;
    }
    conv.updatedAt = now;
    this.#emitMessage(message, 'message_created');
    return message;
  }

  // Message#webhook_sendable?: activity messages never reach webhooks; private notes do.
  #emitMessage(m: CwMessage, event: 'message_created' | 'message_updated'): void {
    if (m.messageType === 'activity') return;
    this.emit(m.inboxId, event, messageWebhookPayload(this, m, event));
  }

  /** Messages::StatusUpdateService: only read → delivered is refused (silently). */
  updateMessageStatus(m: CwMessage, status: string, externalError?: string | null): void {
    if (!['sent', 'delivered', 'read', 'failed'].includes(status)) {
      throw new SimHttpError(422, { error: `'${status}' is not a valid status` });
    }
    if (m.status === 'read' && status === 'delivered') return;
    const next = status as CwMessageStatus;
    const error = next === 'failed' ? (externalError ?? null) : null;
    const attrs = { ...m.contentAttributes };
    if (error) attrs.external_error = error;
    else delete attrs.external_error;
    if (m.status === next && JSON.stringify(attrs) === JSON.stringify(m.contentAttributes)) return;
    m.status = next;
    m.contentAttributes = attrs;
    m.updatedAt = new Date();
    this.#emitMessage(m, 'message_updated');
  }

  deleteMessage(m: CwMessage): void {
    for (const a of m.attachments) this.blobs.delete(a.key);
    m.content = 'This message was deleted';
    m.contentType = 'text';
    m.contentAttributes = { deleted: true };
    m.attachments = [];
    m.updatedAt = new Date();
    this.#emitMessage(m, 'message_updated');
  }

  /** Public update_last_seen: UpdateMessageStatusJob turns every sent/delivered agent message read. */
  contactReadUpToNow(conv: CwConversation): void {
    const now = new Date();
    conv.contactLastSeenAt = now;
    for (const m of this.messagesOf(conv.id)) {
      if (m.messageType !== 'incoming' && (m.status === 'sent' || m.status === 'delivered') && m.createdAt <= now) {
        this.updateMessageStatus(m, 'read');
      }
    }
  }
}

function freshSequences() {
  return { inbox: 0, channel: 0, contact: 0, contactInbox: 0, conversation: 0, message: 0, attachment: 0 };
}

function unixNow(): number {
  return Math.floor(Date.now() / 1000);
}
