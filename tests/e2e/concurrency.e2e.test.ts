import { describe, expect, it } from 'vitest';
import { person, useHarness } from './harness.js';

const ADA = person(1001, 'Ada');
const BOB = person(1002, 'Bob');
const ENV = { JARVIS_ADMINS: `telegram:${ADA.id},telegram:${BOB.id}` };

describe('one busy chat', () => {
  const harness = useHarness();

  it('holds up neither other chats nor its own /lockdown', async () => {
    const h = harness();
    await h.start(ENV);
    // Ada's first reply gets a 500: auto-retry holds her chat for ~3 s.
    let faulted = false;
    h.fake.faults = (method, params) => {
      if (method !== 'sendMessage' || faulted || Number(params.chat_id) !== ADA.id) return undefined;
      faulted = true;
      return { kind: '500' };
    };
    h.fake.sendText(ADA, '/whoami');
    await h.fake.waitFor((calls) => calls.some((c) => c.answeredWith === 'error'));
    h.fake.sendText(ADA, '/lockdown on'); // a control command: taken at once, not after Ada's queue

    // Bob, in another chat, is answered meanwhile, and already sees the lockdown.
    const status = await h.ask(BOB, '/status');
    expect(status).toContain('Lockdown: ON');
    expect(h.texts(ADA.id)).toEqual([]); // Ada's chat is still waiting on the retry

    // Ada's replies then arrive once each, in order.
    await h.fake.waitFor(() => h.texts(ADA.id).length >= 2, 15_000);
    expect(h.texts(ADA.id)[0]).toBe('You are Ada, telegram:1001, role admin.');
    expect(h.texts(ADA.id)[1]).toMatch(/^Lockdown is ON/);
  });
});
