// Chatwoot agents write Markdown; WhatsApp has its own, smaller syntax (*bold*, _italic_, ~strike~,
// ```mono```, `inline`, "> " quotes, "- " lists). Anything WhatsApp cannot show becomes plain text.

const PLACEHOLDER = '\u0000';

export function markdownToWhatsApp(markdown: string): string {
  const saved: string[] = [];
  const keep = (s: string) => {
    saved.push(s);
    return `${PLACEHOLDER}${saved.length - 1}${PLACEHOLDER}`;
  };
  let text = markdown.replace(/\r\n/g, '\n');

  // Code first, so nothing inside it is rewritten.
  text = text.replace(/```[a-zA-Z0-9_-]*\n?([\s\S]*?)```/g, (_, code: string) => keep(`\`\`\`${code.replace(/\n$/, '')}\`\`\``));
  text = text.replace(/`([^`\n]+)`/g, (_, code: string) => keep(`\`${code}\``));

  // Links and images: WhatsApp shows URLs itself.
  text = text.replace(/!\[([^\]]*)\]\(([^)\s]+)[^)]*\)/g, (_, alt: string, url: string) => (alt ? `${alt} (${url})` : url));
  text = text.replace(/\[([^\]]+)\]\(([^)\s]+)[^)]*\)/g, (_, label: string, url: string) => (label === url ? url : `${label} (${url})`));

  // Emphasis. Bold (** or __) must go to a placeholder before single-star italics are read.
  text = text.replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, (_, _m, inner: string) => keep(`*${inner}*`));
  text = text.replace(/(^|[^\w*])\*(?=\S)([^*\n]*?\S)\*(?!\w)/g, (_, pre: string, inner: string) => `${pre}_${inner}_`);
  text = text.replace(/~~(?=\S)([\s\S]*?\S)~~/g, '~$1~');

  // Headings become bold lines; list bullets become WhatsApp's.
  text = text.replace(/^#{1,6}\s+(.+)$/gm, (_, heading: string) => keep(`*${heading.trim()}*`));
  text = text.replace(/^(\s*)[*+]\s+/gm, '$1- ');
  text = text.replace(/^\s*(?:---|\*\*\*|___)\s*$/gm, '');

  return text
    .replace(new RegExp(`${PLACEHOLDER}(\\d+)${PLACEHOLDER}`, 'g'), (_, i: string) => saved[Number(i)] ?? '')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
