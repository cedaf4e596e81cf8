import { describe, expect, it } from 'vitest';
import { exitSlippageBps, requoteSlippageBps, widenAfterSlippage } from '../../src/trading/stop-slippage.js';

describe('stop-loss slippage widening', () => {
  it('doubles from the position slippage up to the cap, and knows when the cap failed', () => {
    const p = { slippageBps: 150 };
    const seen: number[] = [];
    let intent: { reason: 'sl'; slippageBps?: number } = { reason: 'sl' };
    for (let i = 0; i < 6; i++) {
      seen.push(exitSlippageBps(p, intent));
      const w = widenAfterSlippage(p, intent, 1_000)!;
      expect(w.atCap).toBe(seen.at(-1) === 1_000);
      intent = { ...intent, slippageBps: w.next };
    }
    expect(seen).toEqual([150, 300, 600, 1_000, 1_000, 1_000]);
  });

  it('never narrows a position bought with more slippage than the cap', () => {
    expect(widenAfterSlippage({ slippageBps: 3_000 }, { reason: 'trail' }, 2_000)).toEqual({ used: 3_000, next: 3_000, atCap: true });
  });

  it('take-profits and manual sales do not widen', () => {
    expect(widenAfterSlippage({ slippageBps: 100 }, { reason: 'tp' }, 2_000)).toBeUndefined();
    expect(widenAfterSlippage({ slippageBps: 100 }, { reason: 'manual' }, 2_000)).toBeUndefined();
    expect(requoteSlippageBps({ slippageBps: 100 }, { reason: 'tp' }, 2_000)).toBeUndefined();
  });

  it('widens the re-quote inside an attempt too, and the next attempt goes on from the re-quote', () => {
    const p = { slippageBps: 100 };
    expect(requoteSlippageBps(p, { reason: 'sl' }, 2_000)).toBe(200);
    expect(widenAfterSlippage(p, { reason: 'sl' }, 2_000, 200)).toEqual({ used: 200, next: 400, atCap: false });
    expect(requoteSlippageBps(p, { reason: 'sl', slippageBps: 1_600 }, 2_000)).toBe(2_000);
    expect(widenAfterSlippage(p, { reason: 'sl', slippageBps: 1_600 }, 2_000, 2_000)).toEqual({ used: 2_000, next: 2_000, atCap: true });
  });
});
