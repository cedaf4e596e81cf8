import type { HttpHandler } from 'msw';
import { setupServer, type SetupServerApi } from 'msw/node';
import { makeHarness, type Harness } from './app-harness.js';
import { FakeMarket } from '../fakes/market.js';
import { plainText } from '../../src/core/message.js';

/**
 * The real app with the trading module pointed at msw fakes of Jupiter and bags.fm (the real
 * clients run). Cron is off: tests drive the monitor with tick() and move the clock by hand.
 */
export interface TradingHarness extends Harness {
  market: FakeMarket;
  server: SetupServerApi;
  /** Runs one monitor tick and waits for the exits it submitted and the notices they queued. */
  tick(): Promise<void>;
  /** Notices delivered to a user's chat since the last call. */
  notices(userId: number | string): Promise<string[]>;
}

export const JUP = 'http://jup.test';
export const BAGS = 'http://bags.test/api/v1';
/** Two made-up but valid mints (base58, 32 bytes). */
export const MINT_A = 'AaaaBbbbCcccDdddEeeeFfffGgggHhhhJjjjKkkkLmno';
export const MINT_B = '7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU';

/** `handlers` are served from the start (e.g. a fake Solana RPC that the start-up reconciliation asks). */
export async function makeTradingHarness(env: Record<string, string> = {}, opts: { dataDir?: string; handlers?: HttpHandler[] } = {}): Promise<TradingHarness> {
  let now = () => Date.now();
  const market = new FakeMarket({ now: () => now() });
  market.setToken(MINT_A, { usdPrice: 0.015, decimals: 6 });
  market.setToken(MINT_B, { usdPrice: 2, decimals: 9 });
  const server = setupServer(...(opts.handlers ?? []), ...market.handlers({ jupiterUrl: JUP, bagsUrl: BAGS }));
  server.listen({ onUnhandledRequest: 'error' });
  const base = await makeHarness(
    { JUPITER_API_URL: JUP, BAGS_API_URL: BAGS, TRADING_HTTP_TIMEOUT_MS: '2000', JARVIS_RATE_LIMIT_ENABLED: 'false', ...env },
    { cron: false, dataDir: opts.dataDir },
  );
  now = () => base.clock.now();
  const seen = new Map<string, number>();
  const drain = async () => {
    const s = base.app.services;
    for (let i = 0; i < 200 && s.trading.exits.busy > 0; i++) await new Promise((r) => setTimeout(r, 5));
    await s.notices.deliver();
  };
  const h = Object.create(base) as TradingHarness;
  Object.assign(h, {
    market,
    server,
    async tick() {
      await base.app.services.trading.tick();
      await drain();
    },
    async notices(userId: number | string) {
      await drain();
      const chat = String(userId);
      const all = base.memory.sent.filter((m) => m.kind === 'send' && m.chatId === chat).map((m) => plainText(m.out.text));
      const from = seen.get(chat) ?? 0;
      seen.set(chat, all.length);
      return all.slice(from);
    },
    async close() {
      await base.close();
      server.close();
    },
  });
  return h;
}
