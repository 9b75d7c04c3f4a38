// The Chatwoot simulator's records and options. Records hold what Chatwoot would have in its database;
// the presenters turn them into the exact JSON Chatwoot v4.15.1 answers and POSTs.
import type { FailureRule, RecordedRequest } from '../types.ts';

export type CwMessageType = 'incoming' | 'outgoing' | 'activity' | 'template';
export type CwMessageStatus = 'sent' | 'delivered' | 'read' | 'failed';
export type CwConversationStatus = 'open' | 'resolved' | 'pending' | 'snoozed';

export interface CwUser {
  id: number;
  name: string;
  email: string;
}

export interface CwInbox {
  id: number;
  channelId: number;
  name: string;
  webhookUrl: string | null;
  /** `inbox_identifier`: what the public API addresses. */
  identifier: string;
  hmacToken: string;
  /** Webhook signing secret; null on instances older than v4.13 (signing off). */
  secret: string | null;
  hmacMandatory: boolean;
  lockToSingleConversation: boolean;
  enableAutoAssignment: boolean;
  additionalAttributes: Record<string, unknown>;
  createdAt: Date;
}

export interface CwContact {
  id: number;
  name: string;
  email: string | null;
  phoneNumber: string | null;
  identifier: string | null;
  avatarUrl: string | null;
  blocked: boolean;
  customAttributes: Record<string, unknown>;
  additionalAttributes: Record<string, unknown>;
  createdAt: Date;
}

export interface CwContactInbox {
  id: number;
  contactId: number;
  inboxId: number;
  sourceId: string;
  pubsubToken: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface CwConversation {
  /** The display id (per account), which every API path uses. */
  id: number;
  uuid: string;
  inboxId: number;
  contactId: number;
  contactInboxId: number;
  status: CwConversationStatus;
  assigneeId: number | null;
  teamId: number | null;
  labels: string[];
  customAttributes: Record<string, unknown>;
  additionalAttributes: Record<string, unknown>;
  snoozedUntil: Date | null;
  firstReplyCreatedAt: Date | null;
  /** Unix seconds; 0 when nobody is waiting. */
  waitingSince: number;
  agentLastSeenAt: Date | null;
  contactLastSeenAt: Date | null;
  lastActivityAt: Date;
  createdAt: Date;
  updatedAt: Date;
}

export interface CwAttachment {
  id: number;
  messageId: number;
  fileType: 'image' | 'audio' | 'video' | 'file';
  /** The multipart part's Content-Type, as Chatwoot stored it. */
  contentType: string;
  fileName: string;
  data: Buffer;
  /** ActiveStorage key; the data_url serves the bytes under it. */
  key: string;
  isVoiceMessage: boolean;
}

export interface CwMessage {
  id: number;
  /** Display id of the conversation. */
  conversationId: number;
  inboxId: number;
  messageType: CwMessageType;
  content: string | null;
  contentType: string;
  contentAttributes: Record<string, unknown>;
  private: boolean;
  status: CwMessageStatus;
  sourceId: string | null;
  echoId: string | null;
  senderType: 'Contact' | 'User' | 'AgentBot' | null;
  senderId: number | null;
  attachments: CwAttachment[];
  createdAt: Date;
  updatedAt: Date;
}

export interface CwWebhookDelivery {
  /** The X-Chatwoot-Delivery id (fresh per dispatch, so it never reveals duplicates). */
  id: string;
  event: string;
  inboxId: number;
  url: string;
  headers: Record<string, string>;
  rawBody: string;
  body: unknown;
  /** The Hub's HTTP status, or null when the delivery failed before one (timeout, refused). */
  status: number | null;
  error: string | null;
  at: number;
  durationMs: number;
}

/** Webhook-side fault injection: the next `times` deliveries of `event` are delayed, dropped or doubled. */
export interface CwWebhookRule {
  event?: string | RegExp;
  times?: number;
  delayMs?: number;
  /** Not sent at all (Chatwoot never retries, so it is lost). */
  drop?: boolean;
  /** Sent twice, as #11901 and the double-webhook issues report. */
  duplicate?: boolean;
}

export interface CwRecordedRequest extends RecordedRequest {
  /** Multipart bodies: their text fields and files. */
  multipart?: { fields: Record<string, string>; files: { field: string; fileName: string; contentType: string; size: number }[] };
}

export interface ChatwootSimulatorOptions {
  port?: number;
  host?: string;
  accountId?: number;
  accountName?: string;
  /** The Hub's user access token; random when omitted. */
  userToken?: string;
  /** Whose token it is: the Hub user, who is an administrator. */
  user?: CwUser;
  /** Agents who can reply through the control methods. */
  agents?: CwUser[];
  /** v4.13+ signs API-inbox webhooks; older instances send them unsigned and have no inbox secret. */
  signWebhooks?: boolean;
  /** Chatwoot's WEBHOOK_TIMEOUT (default 5 s); a slower Hub gets the message marked failed. */
  webhookTimeoutMs?: number;
  /** 'serial' (default) delivers in creation order; 'parallel' starts each at once, like many Sidekiq workers. */
  webhookMode?: 'serial' | 'parallel';
  /** Added to every API response. */
  latencyMs?: number;
  /** Fraction (0–1) of API calls answered with a 500. */
  errorRate?: number;
  /** Rack::Attack's per-IP limit per minute; off when undefined (as in non-production Chatwoot). */
  rateLimitPerMinute?: number;
  /** Rack::Attack sends no Retry-After unless configured to. */
  rateLimitRetryAfterHeader?: boolean;
  /** CONVERSATION_MESSAGE_PER_MINUTE_LIMIT (default 200). */
  messageFloodLimit?: number;
  /** Reported by GET /api. */
  version?: string;
}

export type { FailureRule };
