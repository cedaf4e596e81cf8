import { describe, expect, it } from 'vitest';
import { escapeHtml, renderForTelegram, toHtml, TELEGRAM_TEXT_LIMIT } from '../../src/channels/telegram-render.js';
import { bold, code, plain } from '../../src/core/message.js';
import { parseTelegramHtml } from '../fakes/telegram-bot-api.js';

describe('Telegram rendering', () => {
  it('escapes everything a user or an API could put in text', () => {
    expect(escapeHtml('<b>&amp;</b>')).toBe('&lt;b&gt;&amp;amp;&lt;/b&gt;');
    const html = toHtml([bold('a<b'), plain(' & '), code('x>y')]);
    expect(html).toBe('<b>a&lt;b</b> &amp; <code>x&gt;y</code>');
    expect(parseTelegramHtml(html)).toBe('a<b & x>y');
  });

  it('splits long text on line boundaries under 4096, with buttons on the last part only', () => {
    const lines = Array.from({ length: 500 }, (_, i) => `line ${i} <${'é'.repeat(10)}>`);
    const parts = renderForTelegram({ text: lines.join('\n'), buttons: [[{ label: 'OK', data: 'ok' }]] });
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) {
      expect(p.text.length).toBeLessThanOrEqual(TELEGRAM_TEXT_LIMIT);
      expect(() => parseTelegramHtml(p.text)).not.toThrow();
    }
    expect(parts.slice(0, -1).every((p) => !p.reply_markup)).toBe(true);
    expect(parts.at(-1)!.reply_markup).toEqual({ inline_keyboard: [[{ text: 'OK', callback_data: 'ok' }]] });
    // Nothing lost, nothing reordered: the parts rejoin into the original lines.
    expect(parts.map((p) => parseTelegramHtml(p.text)).join('\n')).toBe(lines.join('\n'));
  });

  it('cuts a single over-long line without breaking an emoji or an escape', () => {
    const text = '😀&'.repeat(3000);
    const parts = renderForTelegram({ text });
    expect(parts.length).toBeGreaterThan(1);
    const back = parts.map((p) => parseTelegramHtml(p.text)).join('');
    expect(back).toBe(text);
  });

  it('strips control characters and never sends an empty message', () => {
    expect(renderForTelegram({ text: 'a\u0000b\u0007c\nd\te' })[0]!.text).toBe('abc\nd\te');
    expect(renderForTelegram({ text: '' })[0]!.text).toBe('(no text)');
    expect(renderForTelegram({ text: '\u0000' })[0]!.text).toBe('(no text)');
  });

  it('refuses button data over 64 bytes rather than sending something Telegram rejects', () => {
    expect(() => renderForTelegram({ text: 'x', buttons: [[{ label: 'x', data: 'é'.repeat(33) }]] })).toThrow(/1-64 bytes/);
  });
});
