import { describe, expect, it } from 'vitest';
import { renderForWhatsApp, toWhatsApp } from '../../src/channels/whatsapp-render.js';
import { bold, code, italic, plain, pre } from '../../src/core/message.js';
import { NumberedChoices } from '../../src/core/choices.js';

describe('Outbound → WhatsApp text', () => {
  it('maps formatting to WhatsApp markers, hugging the words', () => {
    expect(toWhatsApp([bold('Status'), plain(': '), code('ok'), plain(' '), italic('today')])).toBe('*Status*: `ok` _today_');
    expect(toWhatsApp([bold(' padded ')])).toBe(' *padded* ');
    expect(toWhatsApp([bold('two\nlines')])).toBe('*two*\n*lines*');
    expect(toWhatsApp([pre('line 1\nline 2\n')])).toBe('```line 1\nline 2```');
    expect(toWhatsApp([code('a\nb')])).toBe('```a\nb```');
    expect(toWhatsApp([code('has ` tick')])).toBe('has ` tick');
    expect(toWhatsApp([bold('   ')])).toBe('   ');
  });

  it('puts numbered choices under the last part', () => {
    const choices = new NumberedChoices();
    const out = { text: 'Which role for telegram:42?', buttons: [[{ label: 'User', data: 'a' }, { label: 'Admin', data: 'b' }]] };
    expect(renderForWhatsApp(out, choices.render('chat', out))).toEqual(['Which role for telegram:42?\n\n  1) User\n  2) Admin\n(answer with the number)']);
  });

  it('splits long replies on lines under the limit, never breaking a marker pair', () => {
    const lines = Array.from({ length: 50 }, (_, i) => `line ${i} ${'x'.repeat(30)}`);
    const parts = renderForWhatsApp({ text: [bold('Report'), plain('\n' + lines.join('\n'))] }, '', 400);
    expect(parts.length).toBeGreaterThan(3);
    for (const p of parts) expect(p.length).toBeLessThanOrEqual(400);
    expect(parts[0]!.startsWith('*Report*\n')).toBe(true);
    expect(parts.join('\n')).toContain(lines[49]);
  });

  it('never sends an empty message and strips control characters', () => {
    expect(renderForWhatsApp({ text: '' })).toEqual(['(no text)']);
    expect(renderForWhatsApp({ text: 'a\u0007b' })).toEqual(['ab']);
  });
});
