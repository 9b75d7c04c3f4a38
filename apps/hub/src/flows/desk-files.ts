// Agent attachments are Chatwoot ActiveStorage redirect URLs; the upload may finish a moment after
// the webhook (chatwoot.md §4.1), so a 404 right after creation is retried rather than final.
import { AppError } from '@whatpro/platform';

export interface DeskFile {
  data: Buffer;
  mimeType: string;
}

export async function downloadDeskFile(
  url: string,
  options: { timeoutMs?: number; fetch?: typeof fetch; maxBytes?: number } = {},
): Promise<DeskFile> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AppError('ATTACHMENT_URL_INVALID', 'Chatwoot sent an attachment URL that is not a URL (check FRONTEND_URL)', {
      retryable: false,
    });
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new AppError('ATTACHMENT_URL_INVALID', `attachment URL uses ${parsed.protocol}`, { retryable: false });
  }
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(parsed, { redirect: 'follow', signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
  } catch (error) {
    throw new AppError('ATTACHMENT_DOWNLOAD_FAILED', `attachment download failed: ${(error as Error).name}`, { retryable: true });
  }
  if (!response.ok) {
    // 404 right after creation is the upload still finishing; 5xx is transient; the rest is final.
    const retryable = response.status === 404 || response.status === 429 || response.status >= 500;
    throw new AppError('ATTACHMENT_DOWNLOAD_FAILED', `attachment download answered ${response.status}`, { retryable });
  }
  const data = Buffer.from(await response.arrayBuffer());
  if (options.maxBytes && data.length > options.maxBytes) {
    throw new AppError('ATTACHMENT_TOO_LARGE', `attachment is ${data.length} bytes, over the ${options.maxBytes} limit`, {
      retryable: false,
    });
  }
  return { data, mimeType: response.headers.get('content-type')?.split(';')[0] ?? 'application/octet-stream' };
}
