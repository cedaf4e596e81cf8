import { describe, expect, it } from 'vitest';
import { Outbox } from '../../src/channels/outbox.js';
import { ManualClock } from '../../src/core/clock.js';

/** An outbox whose waits advance a manual clock, so pacing is measured without sleeping. */
function pacedOutbox(limits: ConstructorParameters<typeof Outbox>[0]) {
  const clock = new ManualClock(0);
  const outbox = new Outbox(limits, clock, async (ms) => {
    clock.advance(ms);
  });
  return { clock, outbox };
}

describe('Outbox', () => {
  it('keeps one chat in order and paces it after the burst', async () => {
    const { clock, outbox } = pacedOutbox({ perChatPerSec: 1, perChatBurst: 3, groupPerMin: 20, globalPerSec: 30 });
    const sent: [number, number][] = [];
    await Promise.all(Array.from({ length: 6 }, (_, i) => outbox.schedule('42', async () => sent.push([i, clock.now()]))));
    expect(sent.map(([i]) => i)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(sent.map(([, t]) => t)).toEqual([0, 0, 0, 1000, 2000, 3000]);
  });

  it('holds groups to their per-minute limit', async () => {
    const { clock, outbox } = pacedOutbox({ perChatPerSec: 10, perChatBurst: 5, groupPerMin: 20, globalPerSec: 30 });
    const times: number[] = [];
    await Promise.all(Array.from({ length: 8 }, () => outbox.schedule('-100', async () => times.push(clock.now()))));
    // 20 a minute: after the burst of 5, one every 3 s.
    expect(times.slice(5)).toEqual([3000, 6000, 9000]);
  });

  it('holds all chats together to the global limit', async () => {
    const { clock, outbox } = pacedOutbox({ perChatPerSec: 1, perChatBurst: 1, groupPerMin: 20, globalPerSec: 2 });
    const times: number[] = [];
    await Promise.all(Array.from({ length: 6 }, (_, i) => outbox.schedule(String(i), async () => times.push(clock.now()))));
    expect(Math.max(...times)).toBeGreaterThanOrEqual(2000); // 6 calls at 2/s with a burst of 2
  });

  it('goes on with the next call when one fails, and reports the failure to its caller', async () => {
    const { outbox } = pacedOutbox({ perChatPerSec: 100, perChatBurst: 10, groupPerMin: 20, globalPerSec: 100 });
    const a = outbox.schedule('1', async () => {
      throw new Error('403 blocked');
    });
    const b = outbox.schedule('1', async () => 'sent');
    await expect(a).rejects.toThrow('403 blocked');
    await expect(b).resolves.toBe('sent');
    expect(outbox.pending).toBe(0);
  });

  it('does not keep a lane for every chat it ever wrote to', async () => {
    const { clock, outbox } = pacedOutbox({ perChatPerSec: 1, perChatBurst: 3, groupPerMin: 20, globalPerSec: 100_000 });
    for (let i = 0; i < 5000; i++) {
      await outbox.schedule(String(i), async () => undefined);
      clock.advance(1); // chats written to long ago have refilled
    }
    expect(outbox.size).toBeLessThanOrEqual(1001);
  });
});
