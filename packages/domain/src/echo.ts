// Recognising the provider's echo of our own send. Where the provider carries a track id, that is
// enough; where it cannot, the echo is matched against the one send in flight for the contact (lanes
// send one message per contact at a time) by what it looks like: its kind and its text.
import type { MessageContent } from './events.ts';
import type { SendCommand } from './provider-port.ts';

const norm = (s: string | undefined) => (s ?? '').replace(/\s+/g, ' ').trim();

export function sendFingerprint(command: SendCommand): string | null {
  switch (command.type) {
    case 'text':
      return `text|${norm(command.text)}`;
    case 'image':
    case 'video':
    case 'document':
      return `${command.type}|${norm(command.caption)}`;
    case 'audio':
    case 'voice':
    case 'sticker':
      return `${command.type}|`;
    case 'location':
      return `location|${command.latitude.toFixed(5)},${command.longitude.toFixed(5)}`;
    default:
      return null;
  }
}

export function echoFingerprint(content: MessageContent): string | null {
  switch (content.type) {
    case 'text':
      return `text|${norm(content.text)}`;
    case 'image':
    case 'video':
    case 'document':
      return `${content.type}|${norm(content.caption)}`;
    case 'audio':
    case 'voice':
    case 'sticker':
      return `${content.type}|`;
    case 'location':
      return `location|${content.latitude.toFixed(5)},${content.longitude.toFixed(5)}`;
    default:
      return null;
  }
}
