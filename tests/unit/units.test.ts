import { describe, expect, it } from 'vitest';
import { headUnits, tailUnits } from '../../src/core/render.js';

const lone = (s: string) => /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

describe('headUnits and tailUnits', () => {
  it('cut at most max UTF-16 units and never split an emoji into a lone surrogate', () => {
    const text = 'ab😀cd😀😀e';
    for (let max = 0; max <= text.length + 1; max++) {
      const head = headUnits(text, max);
      const tail = tailUnits(text, max);
      expect(head.length).toBeLessThanOrEqual(max);
      expect(tail.length).toBeLessThanOrEqual(max);
      expect(lone(head) || lone(tail)).toBe(false);
      expect(text.startsWith(head) && text.endsWith(tail)).toBe(true);
      expect(head.length).toBeGreaterThanOrEqual(Math.min(text.length, max) - 1);
    }
  });
});
