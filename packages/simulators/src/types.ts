// What every provider simulator offers to tests, the demo and the benchmarks, on top of the provider's
// real HTTP API. The control side speaks canonical terms so one behavioural suite drives both.

export interface SimulatorOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  /** Credential for server-level calls (Uazapi admin token, Evolution global API key). */
  adminToken?: string;
  /** Added to every API response. */
  latencyMs?: number;
  /** Fraction (0–1) of API calls answered with a 500. */
  errorRate?: number;
  /** How often the QR code rotates while connecting (about 20 s on real servers). */
  qrRotateMs?: number;
  /** Automatically go from connecting to open after this long (demo); off when undefined. */
  autoConnectMs?: number;
}

/** A planned failure: the next `times` requests matching `path` (and `method`) fail this way. */
export interface FailureRule {
  path: string | RegExp;
  method?: string;
  /** HTTP status to answer; omit with `hang` to simulate a timeout. */
  status?: number;
  body?: unknown;
  /** Extra response headers, e.g. `{ 'retry-after': '2' }` on a 429. */
  headers?: Record<string, string>;
  /** Never answer (until the client gives up). */
  hang?: boolean;
  /** Drop the connection without answering. */
  reset?: boolean;
  delayMs?: number;
  times?: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  at: number;
}

/** A message as the simulated phone saw it leave through the API. */
export interface SentMessage {
  instance: string;
  messageId: string;
  to: string;
  type: string;
  text?: string;
  caption?: string;
  fileName?: string;
  mimeType?: string;
  mediaUrl?: string;
  mediaBase64?: string;
  replyToId?: string;
  trackId?: string;
  emoji?: string;
  targetId?: string;
  latitude?: number;
  longitude?: number;
  contactName?: string;
  contactPhones?: string[];
  at: number;
}

export interface InboundMessageInput {
  /** Phone (E.164), user JID, LID or group JID the message comes from. */
  from: string;
  /** In a group: the participant who wrote it. */
  participant?: string;
  /** Address the contact by LID, with this phone as the alternate the payload reveals. */
  lid?: string;
  pushName?: string;
  text?: string;
  media?: {
    kind: 'image' | 'video' | 'audio' | 'voice' | 'document' | 'sticker';
    mimeType: string;
    data: Buffer;
    fileName?: string;
    caption?: string;
  };
  location?: { latitude: number; longitude: number; name?: string };
  contact?: { name: string; phone: string };
  reaction?: { targetId: string; emoji: string };
  edit?: { targetId: string; text: string };
  deleteOf?: string;
  replyToId?: string;
  fromMe?: boolean;
  messageId?: string;
}

export interface ProviderSimulator {
  readonly kind: 'uazapi' | 'evolution';
  readonly baseUrl: string;
  readonly adminToken: string;
  close(): Promise<void>;

  // Fault and latency injection.
  setLatency(ms: number): void;
  setErrorRate(rate: number): void;
  fail(rule: FailureRule): void;
  clearFailures(): void;

  // What the simulator received.
  requests(filter?: { path?: string | RegExp; method?: string }): RecordedRequest[];
  sent(instance?: string): SentMessage[];
  reset(): void;

  // Instance state, driven as a phone would.
  instanceToken(instance: string): string | undefined;
  /** Completes pairing for an instance that is connecting (QR scanned or pair code typed). */
  completePairing(instance: string, phone?: string): Promise<void>;
  /** Drops the connection as if the phone went offline or logged out. */
  dropConnection(instance: string, loggedOut?: boolean): Promise<void>;

  // Webhooks the simulator sends to the configured URL.
  /** "The contact +55… sends 'oi' now": returns the WhatsApp message id. */
  receive(instance: string, input: InboundMessageInput): Promise<string>;
  /** The contact read / received / played a message the instance sent. */
  ack(instance: string, messageId: string, status: 'delivered' | 'read' | 'played'): Promise<void>;
  typing(instance: string, from: string, state: 'composing' | 'recording' | 'paused'): Promise<void>;
  /** Delivers an arbitrary raw webhook body (fixtures, malformed input). */
  deliverRaw(instance: string, body: unknown): Promise<{ status: number; body: string }>;
  /** Every webhook delivery attempt, with the Hub's answer. */
  deliveries(): { instance: string; body: unknown; status: number; at: number }[];
}
