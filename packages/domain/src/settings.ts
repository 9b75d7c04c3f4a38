// Per-instance behaviour: what the provider is asked to do (ProviderSettings) plus how the Hub itself
// relays messages. Stored as JSON on the instance; parsed with defaults so older rows keep working.
import type { ProviderSettings } from './provider-port.ts';

export interface HubBehaviour {
  /** Prefix agent replies with the agent's name. */
  signMessages: boolean;
  /** `{name}` and `{message}` are replaced; WhatsApp formatting allowed. */
  signatureFormat: string;
  /** Show "typing…" on WhatsApp for this long before each agent text (0 = off). */
  typingBeforeSendMs: number;
  /** Relay an agent typing in Chatwoot as WhatsApp presence. */
  relayAgentTyping: boolean;
  /** Mark the contact's messages read on WhatsApp when an agent replies. */
  markReadOnReply: boolean;
  /** Send Chatwoot audio attachments as voice notes (PTT) rather than audio files. */
  audioAsVoiceNote: boolean;
  /** Relay group chats to Chatwoot (one conversation per group). */
  relayGroups: boolean;
  /** Show messages typed on the phone itself in Chatwoot as outgoing messages. */
  relayFromMe: boolean;
  /** Post a private note in Chatwoot when a call comes in. */
  notifyCalls: boolean;
}

export type InstanceBehaviour = ProviderSettings & HubBehaviour;

export const DEFAULT_BEHAVIOUR: InstanceBehaviour = {
  rejectCalls: false,
  ignoreGroups: false,
  alwaysOnline: false,
  autoReadMessages: false,
  readStatus: false,
  syncFullHistory: false,
  signMessages: false,
  signatureFormat: '*{name}:*\n{message}',
  typingBeforeSendMs: 0,
  relayAgentTyping: true,
  markReadOnReply: false,
  audioAsVoiceNote: true,
  relayGroups: true,
  relayFromMe: true,
  notifyCalls: true,
};

const PROVIDER_KEYS = [
  'rejectCalls',
  'rejectCallMessage',
  'ignoreGroups',
  'alwaysOnline',
  'autoReadMessages',
  'readStatus',
  'syncFullHistory',
] as const;

/** Reads stored settings, ignoring unknown keys and wrongly typed values (defaults win). */
export function parseBehaviour(stored: unknown): InstanceBehaviour {
  const source = typeof stored === 'object' && stored !== null ? (stored as Record<string, unknown>) : {};
  const out: Record<string, unknown> = { ...DEFAULT_BEHAVIOUR };
  for (const [key, fallback] of Object.entries(DEFAULT_BEHAVIOUR)) {
    const value = source[key];
    if (value !== undefined && typeof value === typeof fallback) out[key] = value;
  }
  if (typeof source.rejectCallMessage === 'string') out.rejectCallMessage = source.rejectCallMessage;
  return out as unknown as InstanceBehaviour;
}

export function providerSettingsOf(behaviour: InstanceBehaviour): ProviderSettings {
  const out: ProviderSettings = {};
  for (const key of PROVIDER_KEYS) {
    if (behaviour[key] !== undefined) (out as Record<string, unknown>)[key] = behaviour[key];
  }
  return out;
}
