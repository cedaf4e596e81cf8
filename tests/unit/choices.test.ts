import { describe, expect, it } from 'vitest';
import { NumberedChoices } from '../../src/core/choices.js';

describe('numbered choices (buttons on console and WhatsApp)', () => {
  it('shows buttons as numbers and turns a number back into that button, once', () => {
    const c = new NumberedChoices();
    const shown = c.render('chat', { text: 'Role?', buttons: [[{ label: 'User', data: 'flow:allow:user' }], [{ label: 'Admin', data: 'flow:allow:admin' }]] });
    expect(shown).toBe('  1) User\n  2) Admin\n(answer with the number)');
    expect(c.resolve('other', '2')).toBeUndefined();
    expect(c.resolve('chat', '3')).toBeUndefined();
    expect(c.resolve('chat', 'two')).toBeUndefined();
    expect(c.resolve('chat', ' 2 ')?.data).toBe('flow:allow:admin');
    expect(c.resolve('chat', '2')).toBeUndefined();
  });
});
