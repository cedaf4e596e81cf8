import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeTelegramBotApi } from '../fakes/telegram-bot-api.js';
import { fakeTelegramEnv, startDaemon, tempDataDir, type Daemon } from './daemon.js';

const ADMIN = { id: 1001, first_name: 'Ada' };

describe('daemon over a fake Telegram', () => {
  let fake: FakeTelegramBotApi;
  let daemon: Daemon | undefined;
  beforeEach(async () => {
    fake = new FakeTelegramBotApi();
    await fake.start();
  });
  afterEach(async () => {
    await daemon?.stop('SIGKILL');
    daemon = undefined;
    await fake.stop();
  });

  it('answers an admin /help with the admin commands and publishes the menu', async () => {
    daemon = await startDaemon(fakeTelegramEnv(fake.apiRoot, fake.token, tempDataDir(), { JARVIS_ADMINS: `telegram:${ADMIN.id}` }));
    fake.sendText(ADMIN, '/help');
    await fake.waitFor(() => fake.textsTo(ADMIN.id).length > 0);
    const help = fake.textsTo(ADMIN.id)[0]!;
    expect(help).toContain('/lockdown');
    expect(help).toContain('/status');
    expect(fake.calls.some((c) => c.method === 'setMyCommands')).toBe(true);
    const stopped = await daemon.stop('SIGTERM');
    expect(stopped.code).toBe(0);
  });
});
