// Chatwoot decides how an attachment renders only from the multipart part's Content-Type, by exact
// match (FileTypeHelper): image/{jpeg,png,gif,bmp,webp} are images, video/{mp4,ogg,webm,quicktime}
// videos, anything with "audio/" audio, the rest files. A part sent as application/octet-stream or
// "image/jpg" therefore shows up as a download (#6027). These helpers make the type and the file name
// agree before upload.

export interface AttachmentInput {
  data: Uint8Array;
  /** Shown in Chatwoot and used for the extension; derived from the type when missing. */
  fileName?: string;
  contentType?: string;
}

export interface PreparedAttachment {
  data: Uint8Array;
  fileName: string;
  contentType: string;
}

const EXTENSION_BY_TYPE: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/bmp': 'bmp',
  'video/mp4': 'mp4',
  'video/quicktime': 'mov',
  'video/webm': 'webm',
  'video/ogg': 'ogv',
  'video/3gpp': '3gp',
  'audio/ogg': 'ogg',
  'audio/mpeg': 'mp3',
  'audio/mp4': 'm4a',
  'audio/aac': 'aac',
  'audio/wav': 'wav',
  'audio/webm': 'weba',
  'audio/amr': 'amr',
  'application/pdf': 'pdf',
  'text/plain': 'txt',
  'text/vcard': 'vcf',
  'application/zip': 'zip',
  'application/msword': 'doc',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.ms-excel': 'xls',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 'pptx',
  'application/octet-stream': 'bin',
};

const TYPE_BY_EXTENSION: Record<string, string> = {
  ...Object.fromEntries(Object.entries(EXTENSION_BY_TYPE).map(([type, ext]) => [ext, type])),
  jpeg: 'image/jpeg',
  jpe: 'image/jpeg',
  opus: 'audio/ogg',
  oga: 'audio/ogg',
  mp3: 'audio/mpeg',
  m4v: 'video/mp4',
  csv: 'text/csv',
};

// Aliases senders use that Chatwoot's exact-match lists do not know.
const TYPE_ALIASES: Record<string, string> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'audio/mp3': 'audio/mpeg',
  'audio/x-wav': 'audio/wav',
  'audio/opus': 'audio/ogg',
  'video/mov': 'video/quicktime',
};

function baseType(contentType: string | undefined): string | undefined {
  const base = contentType?.split(';')[0]?.trim().toLowerCase();
  if (!base) return undefined;
  return TYPE_ALIASES[base] ?? base;
}

function extensionOf(fileName: string | undefined): string | undefined {
  const match = fileName ? /\.([A-Za-z0-9]{1,8})$/.exec(fileName) : null;
  return match?.[1]?.toLowerCase();
}

/** Picks a renderable content type and a file name whose extension matches it. */
export function prepareAttachment(input: AttachmentInput): PreparedAttachment {
  // Path separators, quotes and control characters would break the part header or the stored name.
  const cleanName = input.fileName
    ? Array.from(input.fileName, (ch) => (ch === '/' || ch === '\\' ? '_' : ch < ' ' || ch === '"' ? '' : ch))
        .join('')
        .trim()
    : undefined;
  let contentType = baseType(input.contentType);
  const ext = extensionOf(cleanName);
  if ((!contentType || contentType === 'application/octet-stream') && ext && TYPE_BY_EXTENSION[ext]) contentType = TYPE_BY_EXTENSION[ext];
  contentType ??= 'application/octet-stream';
  const kind = contentType.split('/')[0] ?? 'file';
  let fileName = cleanName || (kind === 'application' || kind === 'text' ? 'file' : kind);
  if (!ext) fileName = `${fileName}.${EXTENSION_BY_TYPE[contentType] ?? 'bin'}`;
  return { data: input.data, fileName, contentType };
}
