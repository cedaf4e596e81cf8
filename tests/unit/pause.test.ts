import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { pauseUnlessAborted } from '../../src/core/pause.js';

describe('pauseUnlessAborted', () => {
  it('leaves no listener behind on a long-lived signal, however many times it waits', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 50; i++) await pauseUnlessAborted(1, controller.signal);
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('ends early when the signal aborts, and at once when it already has', async () => {
    const controller = new AbortController();
    const t0 = Date.now();
    const waiting = pauseUnlessAborted(10_000, controller.signal);
    setTimeout(() => controller.abort(), 20);
    await waiting;
    expect(Date.now() - t0).toBeLessThan(2_000);
    const t1 = Date.now();
    await pauseUnlessAborted(10_000, controller.signal);
    expect(Date.now() - t1).toBeLessThan(100);
  });
});
