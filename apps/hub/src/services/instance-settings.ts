// What an operator may change about an instance: its behaviour (provider switches plus how the Hub
// relays) and its lane policy. The schemas are shared by the services and the REST API.
import { type InstanceBehaviour, type ProviderSettings, providerSettingsOf } from '@whatpro/domain';
import { validation } from '@whatpro/platform';
import { z } from 'zod';

/** Every key is optional: an update names only what changes. Unknown keys are refused, not ignored. */
export const instanceSettingsSchema = z.strictObject({
  rejectCalls: z.boolean().optional(),
  rejectCallMessage: z.string().max(500).optional(),
  ignoreGroups: z.boolean().optional(),
  alwaysOnline: z.boolean().optional(),
  autoReadMessages: z.boolean().optional(),
  readStatus: z.boolean().optional(),
  syncFullHistory: z.boolean().optional(),
  signMessages: z.boolean().optional(),
  signatureFormat: z
    .string()
    .min(1)
    .max(500)
    .refine((s) => s.includes('{message}'), 'must contain {message}')
    .optional(),
  typingBeforeSendMs: z.number().int().min(0).max(30_000).optional(),
  relayAgentTyping: z.boolean().optional(),
  markReadOnReply: z.boolean().optional(),
  audioAsVoiceNote: z.boolean().optional(),
  relayGroups: z.boolean().optional(),
  relayFromMe: z.boolean().optional(),
  notifyCalls: z.boolean().optional(),
});
export type InstanceSettingsInput = z.infer<typeof instanceSettingsSchema>;

export const lanePolicySchema = z
  .strictObject({
    inboundMaxAttempts: z.number().int().min(1).max(100).optional(),
    outboundMaxAttempts: z.number().int().min(1).max(100).optional(),
    inboundExhaustion: z.enum(['SKIP', 'BLOCK']).optional(),
    outboundExhaustion: z.enum(['SKIP', 'BLOCK']).optional(),
    backoffBaseMs: z.number().int().min(100).max(3_600_000).optional(),
    backoffMaxMs: z.number().int().min(100).max(86_400_000).optional(),
    /** Spacing between sends of one number (WhatsApp bans bursty numbers); 0 = off. */
    minSendIntervalMs: z.number().int().min(0).max(600_000).optional(),
  })
  .refine((p) => p.backoffBaseMs === undefined || p.backoffMaxMs === undefined || p.backoffBaseMs <= p.backoffMaxMs, {
    message: 'backoffBaseMs must not exceed backoffMaxMs',
    path: ['backoffBaseMs'],
  });
export type LanePolicyInput = z.infer<typeof lanePolicySchema>;

/** Validates input that did not come through the REST schemas (scripts, other services). */
export function parseOrThrow<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) {
    throw validation(
      `${what} is invalid`,
      result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    );
  }
  return result.data;
}

/** The provider part of a settings update: only the keys the caller named, so only those are reported. */
export function providerPart(settings: InstanceSettingsInput): ProviderSettings {
  // providerSettingsOf copies the provider keys that are set, which for an update are the named ones.
  return providerSettingsOf(settings as InstanceBehaviour);
}

/** The Hub-only keys of an update (they always apply). */
export function hubKeysOf(settings: InstanceSettingsInput): string[] {
  const provider = Object.keys(providerPart(settings));
  return Object.keys(settings).filter((k) => !provider.includes(k) && settings[k as keyof InstanceSettingsInput] !== undefined);
}

/** Stored settings merged with an update; what is stored stays the operator's own choices, defaults apart. */
export function mergeSettings(stored: unknown, update: InstanceSettingsInput): Record<string, unknown> {
  const base = typeof stored === 'object' && stored !== null && !Array.isArray(stored) ? (stored as Record<string, unknown>) : {};
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(update)) if (v !== undefined) merged[k] = v;
  return merged;
}
