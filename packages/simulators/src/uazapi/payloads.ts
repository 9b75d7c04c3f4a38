// Wire shapes of Uazapi GO as captured from real servers (shared/contracts/uazapi.md and its fixtures):
// the instance object, the Message object every send answers and every `messages` webhook carries, and
// the flat webhook envelope.
import { createHash, randomBytes } from 'node:crypto';

export type InstanceStatus = 'disconnected' | 'connecting' | 'connected';

export interface WebhookConfig {
  id: string;
  enabled: boolean;
  url: string;
  events: string[];
  excludeMessages: string[];
  addUrlEvents: boolean;
  addUrlTypesMessages: boolean;
}

export interface SimInstance {
  id: string;
  token: string;
  name: string;
  systemName: string;
  status: InstanceStatus;
  qrcode: string;
  paircode: string;
  /** Paired phone digits; kept after a disconnect, as the real server does. */
  owner: string;
  ownerLid: string;
  profileName: string;
  /** Credentials survive a dropped connection, not a logout or an API disconnect. */
  session: boolean;
  currentPresence: 'available' | 'unavailable';
  created: number;
  updated: number;
  lastDisconnect: number | undefined;
  lastDisconnectReason: string;
  webhooks: WebhookConfig[];
  timers: Set<NodeJS.Timeout>;
  qrSeq: number;
  device: number;
}

/** Real instance dates look like `2026-08-19 17:40:01.042Z` (space, not `T`). */
export const uazDate = (ms: number) => new Date(ms).toISOString().replace('T', ' ');

export const hex = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase();
/** WhatsApp Web / API message id: `3EB0` + 18 hex (22 characters, like the captured ones). */
export const apiMessageId = () => `3EB0${hex(9)}`;
/** Phone-sent message id: `AC` + 30 hex (32 characters). */
export const phoneMessageId = () => `AC${hex(15)}`;
export const instanceId = () => `r${randomBytes(7).toString('hex')}`;

/** A stable 15-digit LID for a phone, so the same contact always has the same LID. */
export function lidFor(seed: string): string {
  const digits = BigInt(`0x${createHash('sha256').update(`lid:${seed}`).digest('hex').slice(0, 15)}`)
    .toString()
    .padStart(15, '1')
    .slice(0, 15);
  return `${digits.replace(/^0/, '1')}@lid`;
}

export function instanceObject(inst: SimInstance, now: number): Record<string, unknown> {
  return {
    adminField01: '',
    adminField02: '',
    chatbot_enabled: false,
    chatbot_ignoreGroups: false,
    chatbot_stopConversation: '',
    chatbot_stopMinutes: 0,
    chatbot_stopWhenYouSendMsg: 0,
    created: uazDate(inst.created),
    currentTime: uazDate(now),
    current_presence: inst.currentPresence,
    id: inst.id,
    isBusiness: false,
    lastDisconnect: inst.lastDisconnect ? uazDate(inst.lastDisconnect) : '',
    lastDisconnectReason: inst.lastDisconnectReason,
    msg_delay_max: 4,
    msg_delay_min: 2,
    name: inst.name,
    openai_apikey: '',
    owner: inst.owner,
    paircode: inst.paircode,
    plataform: inst.owner ? 'android' : '',
    profileName: inst.status === 'connected' ? inst.profileName : inst.owner ? inst.profileName : '',
    profilePicUrl: '',
    qrcode: inst.qrcode,
    status: inst.status,
    systemName: inst.systemName,
    token: inst.token,
    updated: uazDate(inst.updated),
  };
}

/** Every Message field is always present on the wire, empty when unused. */
export function messageObject(fields: Record<string, unknown>): Record<string, unknown> {
  return {
    buttonOrListid: '',
    chatid: '',
    chatlid: '',
    content: '',
    convertOptions: '',
    edited: '',
    fromMe: false,
    groupName: 'Unknown',
    id: '',
    isGroup: false,
    mediaType: '',
    messageTimestamp: 0,
    messageType: 'Conversation',
    messageid: '',
    owner: '',
    quoted: '',
    reaction: '',
    sender: '',
    senderName: '',
    sender_lid: '',
    sender_pn: '',
    source: '',
    status: '',
    text: '',
    track_id: '',
    track_source: '',
    type: 'text',
    vote: '',
    wasSentByApi: false,
    ...fields,
  };
}

/** The CRM-ish `chat` object that rides along every `messages` webhook (trimmed to its useful fields). */
export function chatObject(input: {
  owner: string;
  chatid: string;
  chatlid: string;
  isGroup: boolean;
  name: string;
  phone: string;
  at: number;
  type: string;
  text: string;
  sender: string;
}) {
  return {
    id: instanceId(),
    image: '',
    imagePreview: '',
    lead_name: '',
    lead_fullName: '',
    lead_email: '',
    lead_status: '',
    lead_tags: [],
    lead_isTicketOpen: false,
    name: input.name,
    owner: input.owner,
    phone: input.phone,
    wa_archived: false,
    wa_chatid: input.chatid,
    wa_chatlid: input.chatlid,
    wa_contactName: '',
    wa_fastid: `${input.owner}:${input.chatid.split('@')[0]}`,
    wa_isBlocked: false,
    wa_isGroup: input.isGroup,
    wa_isGroup_member: input.isGroup,
    wa_label: [],
    wa_lastMessageSender: input.sender,
    wa_lastMessageTextVote: input.text,
    wa_lastMessageType: input.type,
    wa_lastMsgTimestamp: input.at,
    wa_name: input.name,
    wa_unreadCount: 1,
  };
}

/** `+55 11 98765-4321`-ish formatting as the `chat.phone` field shows it. */
export function formatPhone(digits: string): string {
  if (!digits) return '';
  if (digits.startsWith('55') && digits.length >= 12) {
    const local = digits.slice(4);
    return `+55 ${digits.slice(2, 4)} ${local.slice(0, local.length - 4)}-${local.slice(-4)}`;
  }
  return `+${digits.slice(0, 2)} ${digits.slice(2)}`;
}
