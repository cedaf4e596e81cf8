import type { Button, Outbound, Span } from '../core/message.js';
import { MAX_CALLBACK_DATA_BYTES, toSpans } from '../core/message.js';
import { splitSpans } from '../core/split.js';
import { truncate } from '../core/render.js';

/** Telegram's limit on one message's text. */
export const TELEGRAM_TEXT_LIMIT = 4096;

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Our own HTML back to plain text, for the fallback when Telegram refuses to parse it. */
export function htmlToPlain(html: string): string {
  return html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

const TAGS: Record<NonNullable<Span['style']>, [string, string]> = {
  bold: ['<b>', '</b>'],
  italic: ['<i>', '</i>'],
  code: ['<code>', '</code>'],
  pre: ['<pre>', '</pre>'],
};

/** Spans to Telegram HTML; every piece of text is escaped, whoever wrote it. */
export function toHtml(spans: Span[]): string {
  let out = '';
  for (const s of spans) {
    if (!s.text) continue;
    const body = escapeHtml(s.text);
    if (s.style) {
      const [open, close] = TAGS[s.style];
      out += open + body + close;
    } else out += body;
  }
  return out;
}

/** Characters Telegram rejects or that only confuse clients (C0 controls other than tab and newline). */
const CONTROL_RE = /[\u0000-\u0008\u000B-\u001F\u007F]/g;

export interface TelegramMessagePart {
  text: string;
  reply_markup?: { inline_keyboard: { text: string; callback_data: string }[][] };
}

/**
 * Renders an Outbound as one or more sendMessage payloads: split under the length limit on
 * line boundaries, buttons on the last part only.
 */
export function renderForTelegram(out: Outbound): TelegramMessagePart[] {
  const spans = toSpans(out.text).map((s) => ({ ...s, text: s.text.replace(CONTROL_RE, '') }));
  const chunks = splitSpans(spans, TELEGRAM_TEXT_LIMIT, toHtml).map((c) => toHtml(c).trimEnd()).filter((t) => t.length > 0);
  if (chunks.length === 0) chunks.push('(no text)');
  const keyboard = renderKeyboard(out.buttons);
  return chunks.map((text, i) => (i === chunks.length - 1 && keyboard ? { text, reply_markup: keyboard } : { text }));
}

export function renderKeyboard(buttons: Button[][] | undefined): TelegramMessagePart['reply_markup'] | undefined {
  if (!buttons || buttons.length === 0) return undefined;
  const rows = buttons
    .map((row) =>
      row.map((b) => {
        if (Buffer.byteLength(b.data, 'utf8') > MAX_CALLBACK_DATA_BYTES || b.data.length === 0) {
          throw new Error(`button data must be 1-${MAX_CALLBACK_DATA_BYTES} bytes: ${truncate(b.data, 20)}`);
        }
        return { text: truncate(b.label, 64) || '·', callback_data: b.data };
      }),
    )
    .filter((r) => r.length > 0);
  return rows.length ? { inline_keyboard: rows } : undefined;
}
