import type { Outbound, Span } from '../core/message.js';
import { toSpans } from '../core/message.js';
import { splitSpans } from '../core/split.js';

/**
 * Outbound to WhatsApp text: *bold*, _italic_, `code`, ```pre```; buttons arrive here already
 * rendered as numbered choices (`menu`), put under the last part; long replies split on lines.
 * WhatsApp has no escaping: a marker only formats when it hugs non-space text, so markers are
 * put per line, around the words, never around surrounding spaces.
 */

/** WhatsApp takes far longer messages; this keeps one message readable on a phone. */
export const WHATSAPP_TEXT_LIMIT = 4000;

const MARK: Record<'bold' | 'italic' | 'code', string> = { bold: '*', italic: '_', code: '`' };

/** C0 controls other than tab and newline. */
const CONTROL_RE = /[\u0000-\u0008\u000B-\u001F\u007F]/g;

function wrapLines(text: string, mark: string): string {
  return text
    .split('\n')
    .map((line) => {
      const m = /^(\s*)(.*?)(\s*)$/s.exec(line)!;
      return m[2] ? `${m[1]}${mark}${m[2]}${mark}${m[3]}` : line;
    })
    .join('\n');
}

function spanText(s: Span): string {
  if (!s.style || !s.text.trim()) return s.text;
  if (s.style === 'pre' || (s.style === 'code' && s.text.includes('\n'))) {
    return s.text.includes('```') ? s.text : '```' + s.text.replace(/^\n+|\n+$/g, '') + '```';
  }
  if (s.style === 'code' && s.text.includes('`')) return s.text;
  return wrapLines(s.text, MARK[s.style]);
}

export function toWhatsApp(spans: Span[]): string {
  return spans.map(spanText).join('');
}

/** The texts to send, in order; `menu` (numbered choices) goes under the last one. */
export function renderForWhatsApp(out: Outbound, menu = '', limit = WHATSAPP_TEXT_LIMIT): string[] {
  const spans = toSpans(out.text).map((s) => ({ ...s, text: s.text.replace(CONTROL_RE, '') }));
  const parts = splitSpans(spans, limit, toWhatsApp).map((c) => toWhatsApp(c).trimEnd()).filter((t) => t.length > 0);
  if (menu) {
    const last = parts[parts.length - 1];
    if (last !== undefined && last.length + 2 + menu.length <= limit) parts[parts.length - 1] = `${last}\n\n${menu}`;
    else parts.push(menu);
  }
  if (parts.length === 0 && !out.document) parts.push('(no text)');
  return parts;
}
