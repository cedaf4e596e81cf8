import { join } from 'node:path';
import Database from 'better-sqlite3';
import { http } from 'msw';
import { afterEach, describe, expect, it } from 'vitest';
import { person, sleep, until, useHarness } from './harness.js';
import { FakeMarket } from '../fakes/market.js';
import { serveHandlers, type ServedHandlers } from '../fakes/msw-http-server.js';
import { openDatabase } from '../../src/storage/database.js';
import { migrate, readMigrations } from '../../src/storage/migrations.js';
import { projectRoot } from '../../src/core/paths.js';

/**
 * The built daemon, killed with SIGKILL while a stop-loss sale is under way (the exit has claimed
 * the position and is waiting on Jupiter's quote), then started again: the position is settled
 * and sold exactly once, and the owner hears about it once.
 */

const ADMIN = person(1001, 'Ada');
const MINT = 'AaaaBbbbCcccDdddEeeeFfffGgggHhhhJjjjKkkkLmno';

let served: ServedHandlers | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

function seedPosition(dataDir: string): void {
  const db = openDatabase(join(dataDir, 'jarvis.db'));
  migrate(db, readMigrations(join(projectRoot(), 'migrations')));
  const now = Date.now();
  db.prepare('INSERT INTO paper_accounts (user_key, lamports, created_at, updated_at) VALUES (?, ?, ?, ?)').run(`telegram:${ADMIN.id}`, 9_500_000_000, now, now);
  // 5,000 tokens bought at 0.0001 SOL each (0.015 USD with SOL at 150): stop-loss 20% below.
  db.prepare(
    `INSERT INTO positions (user_key, chat_id, mode, mint, decimals, state, cost_lamports, tokens_bought, tokens_left, entry_price, high_price, sl_pct, sl_trailing, tp, slippage_bps, opened_at, updated_at)
     VALUES (?, ?, 'paper', ?, 6, 'open', 500000000, '5000000000', '5000000000', 0.0001, 0.0001, 20, 0, '[{"at":50,"sell":100,"done":false}]', 100, ?, ?)`,
  ).run(`telegram:${ADMIN.id}`, String(ADMIN.id), MINT, now, now);
  db.close();
}

function readState(dataDir: string): { state: string; sells: number; exit: string | null } {
  const db = new Database(join(dataDir, 'jarvis.db'), { readonly: true, fileMustExist: true });
  try {
    const p = db.prepare('SELECT state, exit FROM positions WHERE id = 1').get() as { state: string; exit: string | null };
    const sells = (db.prepare("SELECT COUNT(*) AS n FROM trades WHERE side = 'sell'").get() as { n: number }).n;
    return { state: p.state, sells, exit: p.exit };
  } finally {
    db.close();
  }
}

describe('a crash in the middle of an exit', () => {
  const harness = useHarness();

  it('SIGKILL while a position is exiting, then a restart: sold exactly once', async () => {
    const h = harness();
    const market = new FakeMarket();
    market.setToken(MINT, { usdPrice: 0.015 * 0.5, decimals: 6 }); // already far below the stop
    served = await serveHandlers((url) => market.handlers({ jupiterUrl: `${url}/jup`, bagsUrl: `${url}/bags/api/v1` }));
    let hang = true;
    let quotesHeld = 0;
    // While `hang` is on, the exit's quote never comes back: the daemon sits in 'exiting'.
    served.use(
      http.get(`${served.url}/jup/swap/v1/quote`, async () => {
        if (!hang) return undefined;
        quotesHeld++;
        await new Promise(() => undefined);
      }),
    );
    seedPosition(h.dataDir);
    const env = { JARVIS_ADMINS: `telegram:${ADMIN.id}`, JUPITER_API_URL: `${served.url}/jup`, TRADING_MONITOR_INTERVAL_SEC: '1', JARVIS_LOG_LEVEL: 'info' };

    await h.start(env);
    await until(() => quotesHeld > 0, 'the stop-loss exit to ask for a quote', 15_000);
    expect(readState(h.dataDir)).toMatchObject({ state: 'exiting', sells: 0 });
    const killed = await h.daemon!.stop('SIGKILL');
    expect(killed.signal).toBe('SIGKILL');
    expect(readState(h.dataDir)).toMatchObject({ state: 'exiting', sells: 0 });

    hang = false;
    await h.start(env);
    await h.waitForText(ADMIN.id, 'Stop-loss: sold', 15_000);
    expect(readState(h.dataDir)).toMatchObject({ state: 'closed', sells: 1 });
    // A few more monitor ticks: nothing is sold again, and the owner was told once.
    await sleep(2_500);
    expect(readState(h.dataDir)).toMatchObject({ state: 'closed', sells: 1 });
    expect(h.count(ADMIN.id, 'Stop-loss: sold')).toBe(1);
    expect(h.daemon!.logs.some((l) => l.msg === 'trading reconciled' && l.released === 1)).toBe(true);
  });
});
