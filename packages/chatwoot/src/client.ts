// Chatwoot Application API client for one connection (account + user token), plus the two public
// (client) API calls that speak as the contact. Paths, bodies and quirks follow
// shared/contracts/chatwoot.md (v4.15.1); each method names the section it relies on.
import { phoneVariants } from '@whatpro/domain';
import { validation } from '@whatpro/platform';
import type { z } from 'zod';
import { ChatwootError, isChatwootError } from './errors.ts';
import { type ChatwootCall, ChatwootTransport } from './http.ts';
import { type AttachmentInput, prepareAttachment } from './media.ts';
import {
  apiMessageSchema,
  type ChatwootContact,
  type ChatwootContactInbox,
  type ChatwootConversation,
  type ChatwootConversationStatus,
  type ChatwootInbox,
  type ChatwootMessage,
  type ChatwootMessageStatus,
  contactCreateResponseSchema,
  contactInboxSchema,
  contactListSchema,
  contactPayloadSchema,
  contactSchema,
  conversationListSchema,
  conversationSchema,
  inboxListSchema,
  inboxSchema,
  messageListSchema,
  toContact,
  toContactInbox,
  toConversation,
  toggleStatusResponseSchema,
  toInbox,
  toMessage,
} from './schemas.ts';

export interface ChatwootClientOptions {
  baseUrl: string;
  accountId: number;
  /** A User access token (an agent-bot token cannot create contacts or PATCH statuses). */
  userToken: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface ContactFields {
  name?: string;
  phoneNumber?: string;
  identifier?: string;
  email?: string;
  avatarUrl?: string;
  customAttributes?: Record<string, unknown>;
  additionalAttributes?: Record<string, unknown>;
}

export interface CreateContactInput extends ContactFields {
  inboxId: number;
  /** The contact inbox source id (the Hub uses the phone digits or LID). */
  sourceId?: string;
}

export interface EnsureContactInput extends ContactFields {
  inboxId: number;
  sourceId: string;
}

export interface EnsureContactResult {
  contact: ChatwootContact;
  /** How it was found: by (inbox, source id), an existing contact linked to the inbox, or created. */
  via: 'source_id' | 'linked' | 'created';
}

export interface CreateConversationInput {
  inboxId: number;
  contactId: number;
  sourceId: string;
  status?: 'open' | 'pending';
  assigneeId?: number;
  teamId?: number;
  customAttributes?: Record<string, unknown>;
  additionalAttributes?: Record<string, unknown>;
}

export interface CreateMessageInput {
  content?: string;
  messageType: 'incoming' | 'outgoing';
  private?: boolean;
  /** Provider message id; Chatwoot never dedupes it, the Hub must. */
  sourceId?: string;
  /** Chatwoot id of the quoted message. */
  inReplyTo?: number;
  /** Provider id of the quoted message; Chatwoot resolves it within the conversation by source_id. */
  inReplyToExternalId?: string;
  /** Marks a message the business sent from the phone (Chatwoot's own WhatsApp echo marker). */
  externalEcho?: boolean;
  /** Extra content_attributes, merged under the ones above. */
  contentAttributes?: Record<string, unknown>;
  /** Unix seconds; Chatwoot stores it in content_attributes but orders by insert time. */
  externalCreatedAt?: number;
  echoId?: string;
  attachments?: AttachmentInput[];
  /** Tags audio attachments as a voice note (`meta.is_voice_message`). */
  isVoiceMessage?: boolean;
}

export interface PublicConversationRef {
  /** The API inbox's `inbox_identifier`. */
  inboxIdentifier: string;
  /** The contact inbox source id. */
  contactSourceId: string;
  conversationId: number;
}

export interface CreateApiInboxInput {
  name: string;
  webhookUrl: string;
  hmacMandatory?: boolean;
  /** Emulates the WhatsApp 24 h window in the dashboard (hours). */
  agentReplyTimeWindowHours?: number;
  lockToSingleConversation?: boolean;
  enableAutoAssignment?: boolean;
}

const MAX_ATTACHMENTS = 15;
const ACTIVE_STATUSES: ChatwootConversationStatus[] = ['open', 'pending', 'snoozed'];

const digits = (s: string) => s.replace(/\D+/g, '');

export class ChatwootClient {
  readonly accountId: number;
  readonly #http: ChatwootTransport;

  constructor(options: ChatwootClientOptions) {
    this.accountId = options.accountId;
    this.#http = new ChatwootTransport(options);
  }

  get baseUrl(): string {
    return this.#http.baseUrl;
  }

  async #call<S extends z.ZodType>(schema: S, call: ChatwootCall): Promise<z.output<S>> {
    const { body, status } = await this.#http.send(call);
    const parsed = schema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? issue.path.join('.') : 'body';
      throw new ChatwootError(
        'invalid_response',
        `Chatwoot answered ${call.operation} with an unexpected shape (${where}: ${issue?.message})`,
        {
          operation: call.operation,
          httpStatus: status,
        },
      );
    }
    return parsed.data;
  }

  #account(path: string): string {
    return `/api/v1/accounts/${this.accountId}${path}`;
  }

  // --- contacts (§3.1) ---------------------------------------------------------------------------

  /** Exact lookup by (inbox, source id) through the undocumented `contact_inboxes/filter`; null when none. */
  async findContactBySourceId(inboxId: number, sourceId: string): Promise<ChatwootContact | null> {
    const call: ChatwootCall = {
      operation: 'contact_inboxes.filter',
      method: 'POST',
      path: this.#account('/contact_inboxes/filter'),
      json: { inbox_id: inboxId, source_id: sourceId },
    };
    try {
      return toContact(await this.#call(contactSchema, call));
    } catch (error) {
      // "No such contact inbox" is `head :not_found` (empty body); a missing inbox is a 404 with an error body.
      if (isChatwootError(error) && error.kind === 'not_found' && !error.chatwootMessage) return null;
      throw error;
    }
  }

  async #filterContacts(operation: string, payload: Record<string, unknown>[]): Promise<ChatwootContact[]> {
    const res = await this.#call(contactListSchema, {
      operation,
      method: 'POST',
      path: this.#account('/contacts/filter'),
      query: { page: 1 },
      json: { payload },
    });
    return res.payload.map(toContact);
  }

  /**
   * Contacts whose phone is any Brazilian ninth-digit variant of `phone`. Chatwoot's contact filter
   * compares only `values[0]` of a condition (and prefixes "+" itself), so each variant is its own
   * condition joined with OR, sent as digits.
   */
  async findContactsByPhone(phone: string): Promise<ChatwootContact[]> {
    const variants = phoneVariants(phone);
    if (variants.length === 0) return [];
    const payload = variants.map((variant, i) => ({
      attribute_key: 'phone_number',
      filter_operator: 'equal_to',
      values: [digits(variant)],
      ...(i < variants.length - 1 ? { query_operator: 'OR' } : {}),
    }));
    const found = await this.#filterContacts('contacts.filter_phone', payload);
    // Canonical variant first, so callers that take one get the 9-digit contact when both exist.
    const rank = (c: ChatwootContact) => variants.indexOf(`+${digits(c.phoneNumber ?? '')}`);
    return found.filter((c) => rank(c) >= 0).sort((a, b) => rank(a) - rank(b));
  }

  /** Exact, case-insensitive identifier match (the Hub stores the WhatsApp JID there). */
  async findContactsByIdentifier(identifier: string): Promise<ChatwootContact[]> {
    return this.#filterContacts('contacts.filter_identifier', [
      { attribute_key: 'identifier', filter_operator: 'equal_to', values: [identifier] },
    ]);
  }

  async findContactsByEmail(email: string): Promise<ChatwootContact[]> {
    return this.#filterContacts('contacts.filter_email', [{ attribute_key: 'email', filter_operator: 'equal_to', values: [email] }]);
  }

  /** Creates the contact and, with `inboxId`, its contact inbox for `sourceId`. */
  async createContact(input: CreateContactInput): Promise<{ contact: ChatwootContact; contactInbox: ChatwootContactInbox | null }> {
    const res = await this.#call(contactCreateResponseSchema, {
      operation: 'contacts.create',
      method: 'POST',
      path: this.#account('/contacts'),
      json: { inbox_id: input.inboxId, ...(input.sourceId ? { source_id: input.sourceId } : {}), ...contactBody(input) },
    });
    return {
      contact: toContact(res.payload.contact),
      contactInbox: res.payload.contact_inbox ? toContactInbox(res.payload.contact_inbox) : null,
    };
  }

  /** Chatwoot merges custom and additional attributes into what it has. */
  async updateContact(contactId: number, fields: ContactFields): Promise<ChatwootContact> {
    const res = await this.#call(contactPayloadSchema, {
      operation: 'contacts.update',
      method: 'PUT',
      path: this.#account(`/contacts/${contactId}`),
      json: contactBody(fields),
    });
    return toContact(res.payload);
  }

  async createContactInbox(contactId: number, inboxId: number, sourceId: string): Promise<ChatwootContactInbox> {
    const res = await this.#call(contactInboxSchema, {
      operation: 'contact_inboxes.create',
      method: 'POST',
      path: this.#account(`/contacts/${contactId}/contact_inboxes`),
      json: { inbox_id: inboxId, source_id: sourceId },
    });
    return toContactInbox(res) ?? { sourceId, inboxId };
  }

  async #findExisting(input: EnsureContactInput): Promise<ChatwootContact | null> {
    if (input.phoneNumber) {
      const [byPhone] = await this.findContactsByPhone(input.phoneNumber);
      if (byPhone) return byPhone;
    }
    if (input.identifier) {
      const [byIdentifier] = await this.findContactsByIdentifier(input.identifier);
      if (byIdentifier) return byIdentifier;
    }
    return null;
  }

  async #link(contact: ChatwootContact, input: EnsureContactInput): Promise<EnsureContactResult> {
    try {
      const ci = await this.createContactInbox(contact.id, input.inboxId, input.sourceId);
      return { contact: { ...contact, contactInboxes: [...contact.contactInboxes, ci] }, via: 'linked' };
    } catch (error) {
      // Another writer attached this source id first (Chatwoot answers 500/422 to the clash).
      const winner = isChatwootError(error) ? await this.findContactBySourceId(input.inboxId, input.sourceId) : null;
      if (winner) return { contact: winner, via: 'source_id' };
      throw error;
    }
  }

  /**
   * Finds or creates the one contact behind (inbox, source id) without ever making a duplicate
   * (§8 step 4): exact source-id lookup, then phone variants / identifier, then create. A create
   * that loses a race (422 "… has already been taken") is resolved by looking the winner up.
   */
  async ensureContact(input: EnsureContactInput): Promise<EnsureContactResult> {
    const bySource = await this.findContactBySourceId(input.inboxId, input.sourceId);
    if (bySource) return { contact: bySource, via: 'source_id' };
    const existing = await this.#findExisting(input);
    if (existing) return this.#link(existing, input);
    try {
      const { contact, contactInbox } = await this.createContact(input);
      return { contact: { ...contact, contactInboxes: contactInbox ? [contactInbox] : contact.contactInboxes }, via: 'created' };
    } catch (error) {
      if (!isChatwootError(error) || !(error.isTaken() || error.kind === 'server')) throw error;
      const again = await this.findContactBySourceId(input.inboxId, input.sourceId);
      if (again) return { contact: again, via: 'source_id' };
      const winner = (await this.#findExisting(input)) ?? (input.email ? ((await this.findContactsByEmail(input.email))[0] ?? null) : null);
      if (!winner) throw error;
      return this.#link(winner, input);
    }
  }

  // --- conversations (§3.2) ----------------------------------------------------------------------

  /** At most 20, all inboxes, most recent activity first (Chatwoot does not paginate this). */
  async listContactConversations(contactId: number): Promise<ChatwootConversation[]> {
    const res = await this.#call(conversationListSchema, {
      operation: 'contacts.conversations',
      method: 'GET',
      path: this.#account(`/contacts/${contactId}/conversations`),
    });
    return res.payload.map(toConversation);
  }

  /**
   * The contact's most recent conversation in `inboxId` with one of `statuses` — by default every
   * non-resolved one, as Chatwoot's own WhatsApp channel picks it (a snoozed one reopens on the next
   * incoming message). Chatwoot's create never reuses a conversation unless the inbox is locked to one,
   * so this lookup is what keeps one conversation per contact.
   */
  async findActiveConversation(params: {
    contactId: number;
    inboxId: number;
    statuses?: ChatwootConversationStatus[];
  }): Promise<ChatwootConversation | null> {
    const statuses = params.statuses ?? ACTIVE_STATUSES;
    const candidates = (await this.listContactConversations(params.contactId)).filter(
      (c) => c.inboxId === params.inboxId && statuses.includes(c.status),
    );
    candidates.sort((a, b) => (b.lastActivityAt ?? 0) - (a.lastActivityAt ?? 0) || b.id - a.id);
    return candidates[0] ?? null;
  }

  async getConversation(conversationId: number): Promise<ChatwootConversation> {
    return toConversation(
      await this.#call(conversationSchema, {
        operation: 'conversations.show',
        method: 'GET',
        path: this.#account(`/conversations/${conversationId}`),
      }),
    );
  }

  async createConversation(input: CreateConversationInput): Promise<ChatwootConversation> {
    const json: Record<string, unknown> = { source_id: input.sourceId, inbox_id: input.inboxId, contact_id: input.contactId };
    if (input.status) json.status = input.status;
    if (input.assigneeId !== undefined) json.assignee_id = input.assigneeId;
    if (input.teamId !== undefined) json.team_id = input.teamId;
    if (input.customAttributes) json.custom_attributes = input.customAttributes;
    if (input.additionalAttributes) json.additional_attributes = input.additionalAttributes;
    return toConversation(
      await this.#call(conversationSchema, {
        operation: 'conversations.create',
        method: 'POST',
        path: this.#account('/conversations'),
        json,
      }),
    );
  }

  async setConversationStatus(
    conversationId: number,
    status: ChatwootConversationStatus,
    snoozedUntil?: number,
  ): Promise<{ conversationId: number; status: ChatwootConversationStatus }> {
    const res = await this.#call(toggleStatusResponseSchema, {
      operation: 'conversations.toggle_status',
      method: 'POST',
      path: this.#account(`/conversations/${conversationId}/toggle_status`),
      json: { status, ...(snoozedUntil !== undefined ? { snoozed_until: snoozedUntil } : {}) },
    });
    return { conversationId: res.payload.conversation_id, status: res.payload.current_status };
  }

  reopenConversation(conversationId: number): Promise<{ conversationId: number; status: ChatwootConversationStatus }> {
    return this.setConversationStatus(conversationId, 'open');
  }

  /** Shows the token's user (the Hub user) typing to agents. Contact typing is `contactTyping`. */
  async toggleTyping(conversationId: number, on: boolean, isPrivate = false): Promise<void> {
    await this.#http.send({
      operation: 'conversations.toggle_typing_status',
      method: 'POST',
      path: this.#account(`/conversations/${conversationId}/toggle_typing_status`),
      json: { typing_status: on ? 'on' : 'off', is_private: isPrivate },
    });
  }

  // --- inboxes (§2) ------------------------------------------------------------------------------

  async listInboxes(): Promise<ChatwootInbox[]> {
    const res = await this.#call(inboxListSchema, { operation: 'inboxes.list', method: 'GET', path: this.#account('/inboxes') });
    return res.payload.map(toInbox);
  }

  /** Creates the API-channel inbox the Hub links to; needs an administrator token. */
  async createApiInbox(input: CreateApiInboxInput): Promise<ChatwootInbox> {
    const channel: Record<string, unknown> = { type: 'api', webhook_url: input.webhookUrl, hmac_mandatory: input.hmacMandatory ?? false };
    if (input.agentReplyTimeWindowHours !== undefined)
      channel.additional_attributes = { agent_reply_time_window: input.agentReplyTimeWindowHours };
    const json: Record<string, unknown> = { name: input.name, channel };
    if (input.lockToSingleConversation !== undefined) json.lock_to_single_conversation = input.lockToSingleConversation;
    if (input.enableAutoAssignment !== undefined) json.enable_auto_assignment = input.enableAutoAssignment;
    return toInbox(await this.#call(inboxSchema, { operation: 'inboxes.create', method: 'POST', path: this.#account('/inboxes'), json }));
  }

  /** Points an existing API inbox at the Hub (relinking after a URL change). */
  async setInboxWebhookUrl(inboxId: number, webhookUrl: string): Promise<ChatwootInbox> {
    return toInbox(
      await this.#call(inboxSchema, {
        operation: 'inboxes.update',
        method: 'PATCH',
        path: this.#account(`/inboxes/${inboxId}`),
        json: { channel: { webhook_url: webhookUrl } },
      }),
    );
  }

  // --- messages (§3.3) ---------------------------------------------------------------------------

  /**
   * Creates a message. Without attachments it is JSON; with them `multipart/form-data`, one
   * `attachments[]` part per file with a content type Chatwoot renders, and content_attributes as a
   * JSON string (the builder parses it).
   */
  async createMessage(conversationId: number, input: CreateMessageInput): Promise<ChatwootMessage> {
    const attachments = input.attachments ?? [];
    if (attachments.length > MAX_ATTACHMENTS) throw validation(`Chatwoot accepts at most ${MAX_ATTACHMENTS} attachments per message`);
    if (!input.content && attachments.length === 0) throw validation('a Chatwoot message needs content or an attachment');
    const contentAttributes: Record<string, unknown> = { ...input.contentAttributes };
    if (input.inReplyTo !== undefined) contentAttributes.in_reply_to = input.inReplyTo;
    if (input.inReplyToExternalId !== undefined) contentAttributes.in_reply_to_external_id = input.inReplyToExternalId;
    if (input.externalEcho) contentAttributes.external_echo = true;

    const fields: Record<string, string | number | boolean | Record<string, unknown>> = {
      content: input.content ?? '',
      message_type: input.messageType,
      private: input.private ?? false,
      content_type: 'text',
    };
    if (input.sourceId) fields.source_id = input.sourceId;
    if (Object.keys(contentAttributes).length > 0) fields.content_attributes = contentAttributes;
    if (input.externalCreatedAt !== undefined) fields.external_created_at = input.externalCreatedAt;
    if (input.echoId) fields.echo_id = input.echoId;
    if (input.isVoiceMessage) fields.is_voice_message = true;

    const call: ChatwootCall = {
      operation: 'messages.create',
      method: 'POST',
      path: this.#account(`/conversations/${conversationId}/messages`),
    };
    if (attachments.length === 0) {
      call.json = fields;
    } else {
      const form = new FormData();
      for (const [key, value] of Object.entries(fields))
        form.append(key, typeof value === 'object' ? JSON.stringify(value) : String(value));
      for (const attachment of attachments) {
        const file = prepareAttachment(attachment);
        form.append('attachments[]', new Blob([file.data], { type: file.contentType }), file.fileName);
      }
      call.form = form;
    }
    return toMessage(await this.#call(apiMessageSchema, call));
  }

  /** A private note: visible to agents only, never sent to the contact. */
  createPrivateNote(conversationId: number, content: string, attachments?: AttachmentInput[]): Promise<ChatwootMessage> {
    return this.createMessage(conversationId, { content, messageType: 'outgoing', private: true, attachments });
  }

  /**
   * Sets the ticks of a message in an API inbox (v4.2+; not in the v4.15.1 swagger). Chatwoot silently
   * refuses read → delivered (200, unchanged) and keeps `external_error` only with `failed`.
   */
  async updateMessageStatus(
    conversationId: number,
    messageId: number,
    status: ChatwootMessageStatus,
    externalError?: string,
  ): Promise<ChatwootMessage> {
    const json: Record<string, unknown> = { status };
    if (status === 'failed' && externalError) json.external_error = externalError;
    return toMessage(
      await this.#call(apiMessageSchema, {
        operation: 'messages.update_status',
        method: 'PATCH',
        path: this.#account(`/conversations/${conversationId}/messages/${messageId}`),
        json,
      }),
    );
  }

  /** Chatwoot keeps the row: content becomes "This message was deleted", attachments go. */
  async deleteMessage(conversationId: number, messageId: number): Promise<ChatwootMessage> {
    return toMessage(
      await this.#call(apiMessageSchema, {
        operation: 'messages.delete',
        method: 'DELETE',
        path: this.#account(`/conversations/${conversationId}/messages/${messageId}`),
      }),
    );
  }

  /** Latest 20 (ascending); `after` gives up to 100 newer, `before` 20 older. */
  async listMessages(conversationId: number, cursor: { after?: number; before?: number } = {}): Promise<ChatwootMessage[]> {
    const res = await this.#call(messageListSchema, {
      operation: 'messages.list',
      method: 'GET',
      path: this.#account(`/conversations/${conversationId}/messages`),
      query: { after: cursor.after, before: cursor.before },
    });
    return res.payload.map(toMessage);
  }

  // --- public (client) API: the contact's own signals (§3.2) -------------------------------------

  #publicPath(ref: PublicConversationRef, action: string): string {
    return `/public/api/v1/inboxes/${encodeURIComponent(ref.inboxIdentifier)}/contacts/${encodeURIComponent(ref.contactSourceId)}/conversations/${ref.conversationId}/${action}`;
  }

  /** Shows the contact typing in the dashboard (it comes back as a typing webhook with the contact as user). */
  async contactTyping(ref: PublicConversationRef, on: boolean): Promise<void> {
    const typing = on ? 'on' : 'off';
    await this.#http.send({
      operation: 'public.toggle_typing',
      method: 'POST',
      path: this.#publicPath(ref, 'toggle_typing'),
      query: { typing_status: typing },
      json: { typing_status: typing },
      anonymous: true,
    });
  }

  /** "The contact has read everything up to now": every sent/delivered agent message becomes read. */
  async contactReadAll(ref: PublicConversationRef): Promise<void> {
    await this.#http.send({
      operation: 'public.update_last_seen',
      method: 'POST',
      path: this.#publicPath(ref, 'update_last_seen'),
      anonymous: true,
    });
  }
}

function contactBody(fields: ContactFields): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (fields.name !== undefined) body.name = fields.name;
  if (fields.phoneNumber !== undefined) body.phone_number = fields.phoneNumber;
  if (fields.identifier !== undefined) body.identifier = fields.identifier;
  if (fields.email !== undefined) body.email = fields.email;
  if (fields.avatarUrl !== undefined) body.avatar_url = fields.avatarUrl;
  if (fields.customAttributes) body.custom_attributes = fields.customAttributes;
  if (fields.additionalAttributes) body.additional_attributes = fields.additionalAttributes;
  return body;
}
