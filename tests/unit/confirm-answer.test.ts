import { describe, expect, it } from 'vitest';
import { confirmAnswer } from '../../src/core/flows.js';

describe('confirmAnswer (every Confirm/Cancel step: buy, sell, memory clear)', () => {
  it('reads the buttons and the typed words, in any case, and nothing else', () => {
    expect(confirmAnswer({ kind: 'choice', value: 'yes' })).toBe('yes');
    expect(confirmAnswer({ kind: 'choice', value: 'no' })).toBe('no');
    for (const text of ['y', ' YES ', 'Confirm', 'ok']) expect(confirmAnswer({ kind: 'text', text })).toBe('yes');
    for (const text of ['n', 'No', 'CANCEL', 'stop']) expect(confirmAnswer({ kind: 'text', text })).toBe('no');
    for (const text of ['yes please', 'sure', '', 'okay then', 'forget everything']) expect(confirmAnswer({ kind: 'text', text })).toBeUndefined();
    expect(confirmAnswer({ kind: 'text', text: 'Forget everything' }, ['forget everything'])).toBe('yes');
  });
});
