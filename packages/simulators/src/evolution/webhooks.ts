// Evolution's webhook delivery: one POST per event with the 2.3.7 envelope and headers, retried with
// exponential backoff except on the status codes Evolution treats as permanent.
import { webhookJwt } from './payloads.ts';

export interface WebhookTarget {
  url: string;
  byEvents: boolean;
  headers: Record<string, string>;
}

export interface DeliveryRecord {
  instance: string;
  body: unknown;
  status: number;
  at: number;
}

export interface DeliveryOptions {
  attempts: number;
  baseDelayMs: number;
  timeoutMs: number;
}

/** Evolution's `WEBHOOK_RETRY_NON_RETRYABLE_STATUS_CODES` default. */
const PERMANENT = new Set([400, 401, 403, 404, 422]);

/** `messages.upsert` → `messages-upsert`, the path suffix of by-events delivery. */
export const eventKebab = (event: string) => event.toLowerCase().replace(/[._]/g, '-');

export class WebhookSender {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  readonly log: DeliveryRecord[] = [];

  constructor(private readonly options: DeliveryOptions) {}

  /** Sends once and returns the first attempt's outcome; retries continue in the background. */
  async deliver(
    instance: { id: string; name: string },
    target: WebhookTarget,
    event: string,
    body: Record<string, unknown>,
  ): Promise<{ status: number; body: string }> {
    const url = target.byEvents ? `${target.url.replace(/\/+$/, '')}/${eventKebab(event)}` : target.url;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'EvolutionAPI-Webhook/2.3.7',
      'x-instance-id': instance.id,
      'x-instance-name': instance.name,
      'x-event-type': event,
      'x-timestamp': String(Date.now()),
    };
    for (const [k, v] of Object.entries(target.headers)) {
      // `jwt_key` is a signing secret, never sent: it becomes a short-lived bearer token.
      if (k === 'jwt_key') headers.authorization = `Bearer ${webhookJwt(v)}`;
      else headers[k.toLowerCase()] = v;
    }
    const attempt = async (n: number): Promise<{ status: number; body: string }> => {
      const outcome = await this.post(url, headers, body);
      this.log.push({ instance: instance.name, body, status: outcome.status, at: Date.now() });
      const ok = outcome.status >= 200 && outcome.status < 300;
      if (!ok && !PERMANENT.has(outcome.status) && n + 1 < this.options.attempts && !this.closed) {
        const jitter = 0.8 + Math.random() * 0.4;
        const timer = setTimeout(
          () => {
            this.timers.delete(timer);
            void attempt(n + 1);
          },
          Math.min(300_000, this.options.baseDelayMs * 2 ** n * jitter),
        );
        this.timers.add(timer);
      }
      return outcome;
    };
    return attempt(0);
  }

  private async post(url: string, headers: Record<string, string>, body: unknown): Promise<{ status: number; body: string }> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      return { status: response.status, body: await response.text().catch(() => '') };
    } catch (error) {
      return { status: 0, body: String((error as Error)?.message ?? error) };
    }
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
