import { describe, expect, it } from 'vitest';
import { markdownToWhatsApp } from '../src/markdown.ts';

describe('markdownToWhatsApp', () => {
  it('converts emphasis', () => {
    expect(markdownToWhatsApp('**negrito** e *itálico* e ~~riscado~~')).toBe('*negrito* e _itálico_ e ~riscado~');
    expect(markdownToWhatsApp('__bold__ and _italic_')).toBe('*bold* and _italic_');
  });

  it('keeps code untouched', () => {
    expect(markdownToWhatsApp('use `**x**` here')).toBe('use `**x**` here');
    expect(markdownToWhatsApp('```js\nconst a = **1**;\n```')).toBe('```const a = **1**;```');
  });

  it('flattens links, headings and lists', () => {
    expect(markdownToWhatsApp('[site](https://x.com) and [https://y.com](https://y.com)')).toBe('site (https://x.com) and https://y.com');
    expect(markdownToWhatsApp('# Título\n* um\n+ dois')).toBe('*Título*\n- um\n- dois');
    expect(markdownToWhatsApp('a\n\n\n\nb')).toBe('a\n\nb');
  });

  it('leaves plain text and lone asterisks alone', () => {
    expect(markdownToWhatsApp('2 * 3 = 6')).toBe('2 * 3 = 6');
    expect(markdownToWhatsApp('Olá, tudo bem?')).toBe('Olá, tudo bem?');
  });
});
