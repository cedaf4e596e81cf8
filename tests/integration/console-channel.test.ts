import { PassThrough } from 'node:stream';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/core/logger.js';
import { ConsoleChannel } from '../../src/channels/console.js';
import { systemClock } from '../../src/core/clock.js';

/** The real app with the console channel on in-memory streams, as `jarvis chat` runs it. */
async function consoleApp() {
  const r = parseConfig({ JARVIS_DATA_DIR: mkdtempSync(join(tmpdir(), 'jarvis-con-')), JARVIS_HTTP_ENABLED: 'false' });
  if (!r.ok) throw new Error(r.errors.join());
  const input = new PassThrough();
  const output = new PassThrough();
  let text = '';
  output.on('data', (c: Buffer) => (text += c.toString()));
  let closed = false;
  const app = await createApp({
    config: r.config,
    log: createLogger({ level: 'silent' }),
    jobs: false,
    defaultMetrics: false,
    channels: () => [new ConsoleChannel({ input, output, color: false }, systemClock, () => (closed = true))],
  });
  await app.start();
  const waitFor = async (needle: string) => {
    for (let i = 0; i < 200 && !text.includes(needle); i++) await new Promise((r) => setTimeout(r, 10));
    expect(text).toContain(needle);
  };
  return { app, input, output: () => text, waitFor, closed: () => closed };
}

describe('console channel', () => {
  let app: App | undefined;
  afterEach(async () => {
    await app?.stop();
  });

  it('is the local admin, shows buttons as numbers, and takes a number as the press', async () => {
    const c = await consoleApp();
    app = c.app;
    c.input.write('/whoami\n');
    await c.waitFor('console:local, role admin');
    c.input.write('/allow telegram:42\n');
    await c.waitFor('  1) User\n  2) Admin\n(answer with the number)');
    c.input.write('2\n');
    await c.waitFor('telegram:42 is now an admin.');
    c.input.write('2\n'); // the menu was used: a bare number is plain text now
    await c.waitFor('I only answer commands for now');
  });

  it('stops the daemon when the terminal closes (Ctrl-D)', async () => {
    const c = await consoleApp();
    app = c.app;
    c.input.write('/status\n');
    await c.waitFor('Channels: console connected');
    c.input.end();
    for (let i = 0; i < 100 && !c.closed(); i++) await new Promise((r) => setTimeout(r, 10));
    expect(c.closed()).toBe(true);
  });
});
