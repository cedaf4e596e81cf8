import { describe, expect, it } from 'vitest';
import { PM2_KILL_TIMEOUT_MS, person, sleep, textUpdate, until, useHarness, type Harness } from './harness.js';

const ADMIN = person(1001, 'Ada');
const ENV = { JARVIS_ADMINS: `telegram:${ADMIN.id}` };

async function getJson(h: Harness, path: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${h.daemon!.httpPort}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('start, stop and restart', () => {
  const harness = useHarness();

  it('is healthy and ready while long polling, and a SIGTERM mid-poll exits 0 quickly', async () => {
    const h = harness();
    await h.start({ ...ENV, TELEGRAM_POLL_TIMEOUT_SEC: '30' });
    await until(() => h.fake.pendingPolls === 1, 'a long poll to be in flight');
    expect(h.daemon!.httpPort).toBeGreaterThan(0);

    const health = await getJson(h, '/healthz');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('ok');

    // Ready long before the 30 s poll returns: the bot reached Telegram and is polling.
    let ready = await getJson(h, '/readyz');
    const deadline = Date.now() + 3000;
    while (ready.status !== 200 && Date.now() < deadline) {
      await sleep(50);
      ready = await getJson(h, '/readyz');
    }
    expect(ready.body).toMatchObject({ status: 'ready', channels: [{ name: 'telegram', state: 'connected' }] });
    expect(ready.status).toBe(200);

    expect(h.fake.pendingPolls).toBe(1);
    const stopped = await h.daemon!.stop('SIGTERM');
    expect(stopped.code).toBe(0);
    expect(stopped.ms).toBeLessThan(Math.min(5000, PM2_KILL_TIMEOUT_MS));
  });

  it('deletes a webhook left on the bot and then polls', async () => {
    const h = harness();
    h.fake.webhookUrl = 'https://example.invalid/hook';
    await h.start(ENV);
    expect(await h.ask(ADMIN, '/whoami')).toContain('role admin');
    expect(h.fake.calls.filter((c) => c.method === 'deleteWebhook' && c.answeredWith === 'ok')).toHaveLength(1);
    expect(h.fake.webhookUrl).toBe('');
  });

  it('does not answer an update twice when Telegram re-delivers it after a restart', async () => {
    const h = harness();
    await h.start(ENV);
    const update = textUpdate(ADMIN, '/allow telegram:5005 user', 9001);
    const updateId = h.fake.pushRawUpdate(update);
    await h.waitForText(ADMIN.id, 'telegram:5005 is now a user.');

    expect((await h.restart('SIGKILL')).signal).toBe('SIGKILL');
    // Telegram sends the same update again (as it does when an offset was never confirmed).
    h.fake.pushRawUpdate({ ...update, update_id: updateId });
    // Updates in one chat are handled in order: once /whoami is answered, the redelivery was seen.
    expect(await h.ask(ADMIN, '/whoami')).toContain('role admin');
    expect(h.count(ADMIN.id, 'is now a')).toBe(1);
    const audit = await h.ask(ADMIN, '/audit 10');
    expect(audit.split('\n').filter((l) => l.includes('allow telegram:5005'))).toHaveLength(1);
  });

  it('does not act on a re-delivered button press after a restart', async () => {
    const h = harness();
    await h.start(ENV);
    const allowUpdateId = h.fake.sendText(ADMIN, '/allow telegram:5006');
    await h.waitForText(ADMIN.id, 'Which role for telegram:5006?');
    const { queryId, data, messageId } = h.press(ADMIN, 'User', 'Which role for telegram:5006');
    const pressUpdateId = allowUpdateId + 1; // the fake numbers updates in push order; nothing was pushed in between
    await h.waitForText(ADMIN.id, 'telegram:5006 is now a user.');
    await h.ask(ADMIN, '/allow telegram:5007'); // a new flow, so a replayed press would have something to act on

    await h.restart('SIGTERM');
    const chat = { id: ADMIN.id, type: 'private', first_name: ADMIN.first_name };
    h.fake.pushRawUpdate({
      update_id: pressUpdateId,
      callback_query: { id: queryId, from: { id: ADMIN.id, is_bot: false, first_name: ADMIN.first_name }, chat_instance: 'ci', data,
        message: { message_id: messageId, date: 0, chat, text: 'Which role for telegram:5006?' } },
    });
    await h.ask(ADMIN, '/whoami');
    expect(h.count(ADMIN.id, 'is now a')).toBe(1);
    expect(await h.ask(ADMIN, '/users')).not.toContain('telegram:5007');
  });
});
