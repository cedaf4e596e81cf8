import { systemClock } from '../../core/clock.js';
import { BagsClient } from '../../trading/bags.js';
import { VenueError } from '../../trading/errors.js';
import { JupiterClient } from '../../trading/jupiter.js';
import { RateBudget } from '../../trading/rate-budget.js';
import { SolanaRpc } from '../../trading/rpc.js';
import { fail, pass, skip, warn, type Check } from './types.js';

/** The trading services, through the module's own clients, one cheap call each, no retry. */

const SOL_MINT = 'So11111111111111111111111111111111111111112';
const USDC_MINT = 'EPjFWdd5AufqSSqeM2qJ1rozqRwTbEhL6vGH3Ba4qgSK';

const budget = () => new RateBudget({ perMinute: 60, clock: systemClock });

export const jupiterCheck: Check = {
  name: 'jupiter',
  network: true,
  async run({ config, timeoutMs }) {
    const j = config.trading.jupiter;
    if (!j.apiKey) return skip('not configured (JUPITER_API_KEY is not set)');
    const client = new JupiterClient({ baseUrl: j.url, apiKey: j.apiKey, timeoutMs, budget: budget(), retries: 0 });
    try {
      const prices = await client.prices([SOL_MINT]);
      const sol = prices.get(SOL_MINT)?.usdPrice;
      return pass(`key accepted${sol ? `; SOL at $${sol.toFixed(2)}` : ''}`);
    } catch (err) {
      if (err instanceof VenueError) return fail(err.userMessage, err.kind === 'rejected' ? 'check JUPITER_API_KEY (portal.jup.ag)' : 'check the network and JUPITER_API_URL');
      throw err;
    }
  },
};

export const bagsCheck: Check = {
  name: 'bags.fm',
  network: true,
  async run({ config, timeoutMs }) {
    const b = config.trading.bags;
    if (!b) return skip('not configured (BAGS_API_KEY is not set)');
    const client = new BagsClient({ baseUrl: b.url, apiKey: b.apiKey, timeoutMs, budget: budget(), retries: 0 });
    try {
      await client.quote({ inputMint: SOL_MINT, outputMint: USDC_MINT, amount: 10_000_000n, slippageBps: 100 });
      return pass('key accepted (a quote answered)');
    } catch (err) {
      if (err instanceof VenueError && err.kind === 'no_route') return pass('key accepted (it has no pool for the test pair, as expected off bags.fm)');
      if (err instanceof VenueError) return fail(err.userMessage, err.kind === 'rejected' ? 'check BAGS_API_KEY (dev.bags.fm)' : 'check the network and BAGS_API_URL');
      throw err;
    }
  },
};

export const solanaRpcCheck: Check = {
  name: 'solana rpc',
  network: true,
  async run({ config, timeoutMs }) {
    const t = config.trading;
    if (t.mode !== 'live') return skip('not used in paper trading (TRADING_MODE=paper)');
    // One client per URL, so the line can say which of them fail (by position: URLs may carry a key).
    const results = await Promise.all(
      t.rpcUrls.map((url) =>
        new SolanaRpc({ urls: [url], timeoutMs })
          .getLatestBlockhash()
          .then(() => true)
          .catch(() => false),
      ),
    );
    const down = results.map((ok, i) => (ok ? undefined : i + 1)).filter((i): i is number => i !== undefined);
    if (down.length === 0) return pass(`${results.length} of ${results.length} URL(s) answer getLatestBlockhash`);
    const which = `URL ${down.join(', ')} of ${results.length} in SOLANA_RPC_URL`;
    if (down.length === results.length) return fail(`no RPC answers (${which})`, 'check the network and the URLs (and their keys) in SOLANA_RPC_URL');
    return warn(`${which} do(es) not answer; the others do`, 'replace the failing URL(s): Jarvis fails over, but has less to fall back on');
  },
};
