import { describe, expect, it } from 'vitest';
import type { FaultPlan } from '../fakes/telegram-bot-api.js';
import { PM2_KILL_TIMEOUT_MS, person, useHarness, type Harness } from './harness.js';

const ADMIN = person(1001, 'Ada');
const ENV = { JARVIS_ADMINS: `telegram:${ADMIN.id}` };

/** The first sendMessage answers 500, so its reply waits ~3 s in auto-retry's backoff. */
function slowFirstReply(): FaultPlan {
  let faulted = false;
  return (method) => {
    if (method !== 'sendMessage' || faulted) return undefined;
    faulted = true;
    return { kind: '500' };
  };
}

/** Sends `texts` in one go, then SIGTERMs as soon as the first reply attempt has failed. */
async function sigtermWhileReplying(h: Harness, texts: string[]): Promise<Awaited<ReturnType<Harness['restart']>>> {
  h.fake.faults = slowFirstReply();
  for (const t of texts) h.fake.sendText(ADMIN, t);
  await h.fake.waitFor((calls) => calls.some((c) => c.method === 'sendMessage' && c.answeredWith === 'error'));
  return h.daemon!.stop('SIGTERM');
}

describe('graceful shutdown while a reply is in flight', () => {
  const harness = useHarness();

  it('finishes the reply being retried, then exits 0 within pm2 kill_timeout', async () => {
    const h = harness();
    await h.start(ENV);
    const stopped = await sigtermWhileReplying(h, ['/whoami']);
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(PM2_KILL_TIMEOUT_MS);
    expect(h.texts(ADMIN.id)).toEqual(['You are Ada, telegram:1001, role admin.']);
  });

  // A message Jarvis had already fetched (and so confirmed to Telegram) when the SIGTERM came
  // must be answered: by the stopping process, or by the next one.
  it('does not lose a message queued behind it across a graceful restart', async () => {
    const h = harness();
    await h.start(ENV);
    const stopped = await sigtermWhileReplying(h, ['/whoami', '/help']);
    expect(stopped.code).toBe(0);
    h.fake.faults = undefined;
    await h.start(ENV);
    expect(await h.ask(ADMIN, '/status')).toMatch(/^Jarvis /);
    expect(h.texts(ADMIN.id)).toEqual(expect.arrayContaining([expect.stringMatching(/^You are Ada/), expect.stringMatching(/^Commands/)]));
  });

  it('answers messages it had fetched but not reached, after a drain that ran out of time', async () => {
    const h = harness();
    await h.start({ ...ENV, JARVIS_SHUTDOWN_TIMEOUT_MS: '300' });
    const stopped = await sigtermWhileReplying(h, ['/whoami', '/help', '/status']);
    expect(stopped.code).toBe(0);
    expect(h.fake.confirmedOffset).toBeGreaterThan(0); // Telegram will not send these again
    h.fake.faults = undefined;
    await h.start(ENV);
    await h.fake.waitFor(() => h.count(ADMIN.id, 'Commands') === 1 && h.count(ADMIN.id, 'Jarvis 0') === 1, 15_000);
    expect(h.count(ADMIN.id, 'Commands')).toBe(1);
    expect(h.count(ADMIN.id, 'Jarvis 0')).toBe(1);
  });

  it('answers messages it had fetched but not reached when it was killed outright', async () => {
    const h = harness();
    await h.start(ENV);
    h.fake.faults = slowFirstReply();
    for (const t of ['/whoami', '/help', '/status']) h.fake.sendText(ADMIN, t);
    await h.fake.waitFor((calls) => calls.some((c) => c.method === 'sendMessage' && c.answeredWith === 'error'));
    await h.daemon!.stop('SIGKILL');
    h.fake.faults = undefined;
    await h.start(ENV);
    await h.fake.waitFor(() => h.count(ADMIN.id, 'Commands') === 1 && h.count(ADMIN.id, 'Jarvis 0') === 1, 15_000);
    // The message being answered when it died was claimed: at most once, never twice.
    expect(h.count(ADMIN.id, 'You are Ada')).toBeLessThanOrEqual(1);
  });
});
