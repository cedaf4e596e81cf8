import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN } from '../support/app-harness.js';
import { makeTradingHarness, MINT_A, type TradingHarness } from '../support/trading-harness.js';
import { FakeSolanaRpc } from '../fakes/solana-rpc.js';
import { buildUnsignedTransaction } from '../fakes/solana-tx-builder.js';
import { openDatabase } from '../../src/storage/database.js';
import { migrate, readMigrations } from '../../src/storage/migrations.js';
import { projectRoot } from '../../src/core/paths.js';
import { importWallet } from '../../src/trading/wallet.js';
import { keypairFromSecretKey } from '../../src/trading/solana-tx.js';
import { encodeBase58 } from '../../src/trading/base58.js';

/**
 * Trading as a person sees it in chat: /buy, /positions and its buttons, /sell, /settings, /pnl,
 * /demo and the guided buy, against the real app and a fake Jupiter. Assertions are on the
 * replies and on what /positions and /demo show afterwards, not on tables.
 */

const BUY = `/buy ${MINT_A} 0.5 tp=50:50,100:50 sl=20`;
/** A valid mint the fake market knows nothing about (USDC's). */
const UNKNOWN_MINT = 'EPjFWdd5AufqSSqeM2qN1xzybapC8G4wEGGkZwyTDt1v';
const LOCKED = /^Refused: Jarvis is in lockdown/;

let h: TradingHarness;
afterEach(async () => {
  await h?.close();
});

const start = async (env: Record<string, string> = {}) => {
  h = await makeTradingHarness(env);
};
const buttons = () => (h.lastButtons() ?? []).flat();
const button = (label: string) => {
  const b = buttons().find((x) => x.label === label);
  if (!b) throw new Error(`no button ${label} in ${JSON.stringify(buttons())}`);
  return b.data;
};
const menu = async (who = ADMIN) => (await h.say(who, '/demo'))[0]!;
const noPositions = 'You have no open positions. Buy with /buy, or open the menu with /demo.';

describe('/buy', () => {
  it('refuses a buy without a take-profit or a stop-loss, and nothing is bought', async () => {
    await start();
    const before = await menu();
    expect(before).toContain('Balance: 10 SOL');
    expect(before).toContain('Open positions: 0');
    expect(await h.say(ADMIN, `/buy ${MINT_A} 0.5 tp=50`)).toEqual([expect.stringMatching(/^Every buy needs a stop-loss .* this one has no stop-loss\./)]);
    expect(await h.say(ADMIN, `/buy ${MINT_A} 0.5 sl=20`)).toEqual([expect.stringMatching(/this one has no take-profit\./)]);
    expect(await h.say(ADMIN, `/buy ${MINT_A} 0.5`)).toEqual([expect.stringMatching(/^Every buy needs a stop-loss .*save presets in \/settings\.$/)]);
    expect(await h.say(ADMIN, `/buy ${MINT_A} lots tp=50 sl=20`)).toEqual(['"lots" is not an amount of SOL, like 0.5.']);
    expect(await h.say(ADMIN, '/positions')).toEqual([noPositions]);
    expect(await menu()).toBe(before);
  });

  it('a paper buy replies with the fill, and /positions shows it with its buttons', async () => {
    await start();
    const [fill, ...more] = await h.say(ADMIN, BUY);
    expect(more).toEqual([]);
    expect(fill).toContain('Bought (paper): position #1');
    // 0.5 SOL = 75 USD = 5000 tokens at 0.015 USD; fees 5000 network + 100000 priority lamports.
    expect(fill).toContain('5000 tokens of Aaaa…Lmno for 0.500105 SOL, of which 0.000105 SOL fees.');
    expect(fill).toContain('Entry price 0.0001000 SOL per token.');
    expect(fill).toContain('TP +50% sell 50%, +100% sell 50%; SL -20%.');

    const cards = await h.say(ADMIN, '/positions');
    expect(cards).toHaveLength(1);
    expect(cards[0]).toContain('#1 Aaaa…Lmno · paper · open');
    expect(cards[0]).toContain('Entry 0.0001000 SOL · last 0.0001000 SOL');
    expect(cards[0]).toContain('TP +50% sell 50%, +100% sell 50%; SL -20%; stop now at 0.00008002 SOL');
    expect(buttons().map((b) => [b.label, b.data])).toEqual([
      ['Sell 25%', 'pos:s25:1'],
      ['Sell 50%', 'pos:s50:1'],
      ['Sell 100%', 'pos:s100:1'],
      ['Edit TP/SL', 'pos:vedit:1'],
      ['Refresh', 'pos:vref:1'],
    ]);
    expect(buttons().every((b) => Buffer.byteLength(b.data) <= 64)).toBe(true);

    const after = await menu();
    expect(after).toContain('Balance: 9.4999 SOL');
    expect(after).toContain('Open positions: 1');
  });

  it('gives an unknown token one clear sentence and opens nothing', async () => {
    await start();
    expect(await h.say(ADMIN, `/buy ${UNKNOWN_MINT} 0.5 tp=50 sl=20`)).toEqual([
      'There is no reliable price for this token, so its take-profit and stop-loss could not be watched. Not buying it.',
    ]);
    expect(await h.say(ADMIN, '/buy notamint 0.5 tp=50 sl=20')).toEqual([expect.stringMatching(/^That is not a Solana token address/)]);
    expect(await h.say(ADMIN, '/positions')).toEqual([noPositions]);
    expect(await menu()).toContain('Balance: 10 SOL');
  });
});

describe('position buttons and /sell', () => {
  it('Sell 50% then Sell 100% sells twice and closes it; a later press says it is closed', async () => {
    await start();
    await h.say(ADMIN, BUY);
    const half = await h.press(ADMIN, 'pos:s50:1');
    expect(half.texts).toHaveLength(1);
    expect(half.texts[0]).toMatch(/^Sold 50% of paper position #1 \(Aaaa…Lmno\): received 0\.24\d* SOL\.\nPnL -0\.\d+ SOL \(-\d\.\d\d%\)\.\n2500 tokens left\.$/);
    expect((await h.say(ADMIN, '/positions'))[0]).toContain('Holding 2500 of 5000 tokens');

    const rest = await h.press(ADMIN, 'pos:s100:1');
    expect(rest.texts[0]).toMatch(/^Sold all of paper position #1 .*\nThe position is now closed\.$/s);
    expect(await h.say(ADMIN, '/positions')).toEqual([noPositions]);

    for (const data of ['pos:s100:1', 'pos:s25:1', 'pos:vref:1', 'pos:vedit:1']) {
      expect((await h.press(ADMIN, data)).texts).toEqual([expect.stringMatching(/^Position #1 is closed \(result -0\.\d+ SOL\)\. See \/pnl\.$/)]);
    }
    expect(await h.say(ADMIN, '/sell 1')).toEqual([expect.stringMatching(/^Position #1 is closed/)]);
  });

  it('/sell takes an id and a percentage, and explains bad input', async () => {
    await start();
    await h.say(ADMIN, BUY);
    expect(await h.say(ADMIN, '/sell')).toEqual(['Usage: /sell <id> [percent], e.g. /sell 3 50. See /positions for ids.']);
    expect(await h.say(ADMIN, '/sell 1 150')).toEqual(['Sell between 1% and 100% of a position.']);
    expect(await h.say(ADMIN, '/sell 9')).toEqual(['You have no position #9. See /positions.']);
    expect((await h.say(ADMIN, '/sell #1 25%'))[0]).toMatch(/^Sold 25% of paper position #1 .*\n3750 tokens left\.$/s);
  });

  it('Refresh shows the latest price, and Edit TP/SL leads to /tpsl', async () => {
    await start();
    await h.say(ADMIN, BUY);
    h.market.setPrice(MINT_A, 0.015 * 1.2);
    await h.tick();
    const refreshed = await h.press(ADMIN, 'pos:vref:1');
    expect(refreshed.texts[0]).toMatch(/last 0\.0001200 SOL, unrealised \+0\.09\d+ SOL \(\+19\.\d\d%\)/);
    const edit = await h.press(ADMIN, 'pos:vedit:1');
    expect(edit.texts[0]).toContain('/tpsl 1 tp=50:50,100:50 sl=20');
    expect(await h.say(ADMIN, '/tpsl 1 tp=80:100 sl=10 trail')).toEqual([expect.stringMatching(/^Position #1 now: TP \+80% sell 100%; SL -10% trailing; stop at 0\.000108\d* SOL\.$/)]);
    expect(await h.say(ADMIN, '/tpsl 1 sl=150')).toEqual(['The stop-loss must be between 0% and 100% below entry.']);
    expect(await h.say(ADMIN, '/tpsl 1 tp=oops')).toEqual([expect.stringMatching(/is not a take-profit level/)]);
  });

  it('another user cannot use the buttons of someone else’s position', async () => {
    await start();
    await h.say(ADMIN, '/allow telegram:2002 user');
    await h.say(ADMIN, BUY);
    for (const data of ['pos:s100:1', 'pos:s25:1', 'pos:vref:1', 'pos:vedit:1']) {
      expect((await h.press(2002, data)).texts).toEqual(['You have no position #1. See /positions.']);
    }
    expect(await h.say(2002, '/sell 1')).toEqual(['You have no position #1. See /positions.']);
    expect(await h.say(2002, '/positions')).toEqual([noPositions]);
    expect((await h.say(ADMIN, '/positions'))[0]).toContain('Holding 5000 of 5000 tokens');
    // A stranger is stopped before any of this.
    expect((await h.press(3003, 'pos:s100:1')).texts[0]).toMatch(/private Jarvis/);
  });

  it('a sale that fails says why and when it is retried; two presses at once sell once', async () => {
    await start();
    await h.say(ADMIN, BUY);
    h.market.jupiterDown = true;
    const failed = await h.press(ADMIN, 'pos:s100:1');
    expect(failed.texts).toEqual([expect.stringMatching(/^Selling position #1 did not go through: .+ I will retry it myself in 5s; no need to press Sell again\.$/)]);
    expect(failed.texts[0]).not.toMatch(/Error|503|at \w+ \(/);
    // (The service words a waiting manual sale as a stop-loss sale; only the gist is checked here.)
    expect((await h.press(ADMIN, 'pos:s50:1')).texts).toEqual([expect.stringMatching(/^Position #1 has a .*sale waiting to retry; it goes out shortly\.$/)]);
    expect((await h.say(ADMIN, '/positions'))[0]).toContain('A sale is waiting to retry.');
    h.market.jupiterDown = false;
    h.clock.advance(5_000);
    await h.tick();
    expect(await h.say(ADMIN, '/positions')).toEqual([noPositions]);

    await h.say(ADMIN, BUY);
    const [a, b] = await Promise.all([h.press(ADMIN, 'pos:s100:2'), h.press(ADMIN, 'pos:s100:2')]);
    const texts = [...a.texts, ...b.texts];
    expect(texts.filter((t) => t.startsWith('Sold all of paper position #2'))).toHaveLength(1);
    expect(texts.filter((t) => /^Position #2 is (being sold right now|closed)|already/.test(t))).toHaveLength(1);
  });

  it('a button with forged data does nothing', async () => {
    await start();
    await h.say(ADMIN, BUY);
    for (const data of ['pos:s0:1', 'pos:s101:1', 'pos:sx:1', 'pos:vnope:1', 'pos:s50:-1']) {
      const r = await h.press(ADMIN, data);
      expect(r.texts.join(' ')).not.toMatch(/^Sold/);
    }
    expect((await h.say(ADMIN, '/positions'))[0]).toContain('Holding 5000 of 5000 tokens');
  });
});

describe('confirmations', () => {
  it('/buy with presets asks first: Cancel buys nothing, Confirm buys', async () => {
    await start();
    expect(await h.say(ADMIN, '/settings preset tp=50:50,100:50 sl=20')).toEqual([
      'Presets saved: TP +50% sell 50%, +100% sell 50%; SL -20%. A /buy without tp= and sl= uses them after you confirm.',
    ]);
    const [card] = await h.say(ADMIN, `/buy ${MINT_A} 0.2`);
    expect(card).toContain('Confirm this paper buy');
    expect(card).toContain(`Token: ${MINT_A}`);
    expect(card).toContain('You pay: 0.2 SOL + 0.000105 SOL in fees');
    expect(card).toContain('You get about: 2000 tokens, at least 1980 after 1% slippage');
    expect(card).toContain('Price impact: 0.00%; venue: jupiter');
    expect(card).toContain('TP +50% sell 50%, +100% sell 50%; SL -20% (from your presets)');
    expect(card).toContain('Confirm within 60 seconds.');
    expect(buttons().map((b) => b.label)).toEqual(['Confirm', 'Cancel']);

    expect((await h.press(ADMIN, button('Cancel'))).texts).toEqual(['Cancelled: nothing was bought.']);
    expect(await h.say(ADMIN, '/positions')).toEqual([noPositions]);

    await h.say(ADMIN, `/buy ${MINT_A} 0.2`);
    const confirm = button('Confirm');
    expect((await h.press(ADMIN, confirm)).texts[0]).toContain('Bought (paper): position #1');
    // The same button again: the confirmation is used up.
    const again = await h.press(ADMIN, confirm);
    expect(again.texts).toEqual([]);
    expect(again.answers[0]).toMatch(/expired/);
    expect(await h.say(ADMIN, '/positions')).toHaveLength(1);
  });

  it('an expired confirmation does nothing', async () => {
    await start({ TRADING_CONFIRM_TTL_SEC: '30' });
    await h.say(ADMIN, '/settings preset tp=100 sl=20');
    await h.say(ADMIN, `/buy ${MINT_A} 0.2`);
    h.clock.advance(31_000);
    expect((await h.press(ADMIN, button('Confirm'))).texts).toEqual(['This quote has expired, so nothing was bought. Send /buy again for a fresh one.']);
    expect(await h.say(ADMIN, '/positions')).toEqual([noPositions]);
    expect(await menu()).toContain('Balance: 10 SOL');
  });

  it('a confirmation pressed during lockdown is refused', async () => {
    await start();
    await h.say(ADMIN, '/settings preset tp=100 sl=20');
    await h.say(ADMIN, `/buy ${MINT_A} 0.2`);
    const confirm = button('Confirm');
    await h.say(ADMIN, '/lockdown on');
    expect((await h.press(ADMIN, confirm)).texts[0]).toMatch(/refused: Jarvis is in lockdown/);
    expect(await h.say(ADMIN, '/positions')).toEqual([noPositions]);
  });
});

describe('lockdown', () => {
  it('refuses /buy, Sell buttons and the menu’s Buy, while reads still work', async () => {
    await start();
    await h.say(ADMIN, BUY);
    await h.say(ADMIN, '/lockdown on');
    expect(await h.say(ADMIN, BUY)).toEqual([expect.stringMatching(LOCKED)]);
    expect(await h.say(ADMIN, '/buy')).toEqual([expect.stringMatching(LOCKED)]);
    expect((await h.press(ADMIN, 'pos:s100:1')).texts).toEqual([expect.stringMatching(LOCKED)]);
    expect(await h.say(ADMIN, '/sell 1')).toEqual([expect.stringMatching(LOCKED)]);
    expect((await h.press(ADMIN, 'demo:buy')).texts).toEqual([expect.stringMatching(LOCKED)]);
    expect(await h.say(ADMIN, '/positions')).toHaveLength(1);
    expect((await h.press(ADMIN, 'pos:vref:1')).texts[0]).toContain('Holding 5000 of 5000 tokens');
    await h.say(ADMIN, '/lockdown off');
    expect((await h.press(ADMIN, 'pos:s100:1')).texts[0]).toMatch(/^Sold all of paper position #1/);
  });
});

describe('/settings', () => {
  it('shows the settings, applies good changes and refuses bad ones without changing anything', async () => {
    await start();
    const [view] = await h.say(ADMIN, '/settings');
    expect(view).toContain('Mode: paper');
    expect(view).toContain('Slippage: 1% (default)');
    expect(view).toContain('Priority fee: medium (0.0001 SOL per transaction)');
    expect(view).toContain('Presets: none');
    expect(view).toContain('Limits: Max 1 SOL per trade, 10 open positions, daily loss limit 2 SOL.');

    expect(await h.say(ADMIN, '/settings slippage 1.5')).toEqual(['Slippage is now 1.5%.']);
    expect(await h.say(ADMIN, '/settings slippage 50')).toEqual(['Slippage must be between 0.01% and 10%.']);
    expect(await h.say(ADMIN, '/settings slippage lots')).toEqual(['"lots" is not a percentage, like 1.5.']);
    expect(await h.say(ADMIN, '/settings priority high')).toEqual(['Priority fee is now high (0.001 SOL per transaction).']);
    expect(await h.say(ADMIN, '/settings priority ultra')).toEqual(['The priority fee level is low, medium or high.']);
    expect(await h.say(ADMIN, '/settings mode live')).toEqual(['Live trading is off on this Jarvis (TRADING_MODE=paper).']);
    expect(await h.say(ADMIN, '/settings mode turbo')).toEqual(['The mode is paper or live.']);
    expect(await h.say(ADMIN, '/settings limit trade 5')).toEqual(["That is looser than the owner's limit of 1 SOL per trade; you can only make it tighter."]);
    expect(await h.say(ADMIN, '/settings limit open 0')).toEqual(['The number of open positions is a whole number, at least 1.']);
    expect(await h.say(ADMIN, '/settings limit trade 0.25')).toEqual(['Limits now: Max 0.25 SOL per trade, 10 open positions, daily loss limit 2 SOL.']);
    expect(await h.say(ADMIN, '/settings preset tp=50:60,100:60 sl=20')).toEqual(['The take-profit levels sell 120% in total; they can add up to at most 100%.']);
    expect(await h.say(ADMIN, '/settings preset tp=50')).toEqual(['A preset needs both a take-profit and a stop-loss, like /settings preset tp=50:50,100:50 sl=20.']);
    expect((await h.say(ADMIN, '/settings colour blue'))[0]).toMatch(/^I do not know that setting/);

    const [after] = await h.say(ADMIN, '/settings');
    expect(after).toContain('Mode: paper');
    expect(after).toContain('Slippage: 1.5%\n');
    expect(after).toContain('Priority fee: high');
    expect(after).toContain('Presets: none');
    expect(after).toContain('Max 0.25 SOL per trade');

    expect(await h.say(ADMIN, BUY)).toEqual(['That is more than the 0.25 SOL allowed per trade.']);
    expect(await h.say(ADMIN, '/settings preset tp=50:50,100:50 sl=20 trail')).toEqual([expect.stringMatching(/^Presets saved: .*SL -20% trailing\./)]);
    expect(await h.say(ADMIN, '/settings preset clear')).toEqual(['Presets cleared: every /buy needs tp= and sl= again.']);
    expect(await h.say(ADMIN, '/settings limit trade default')).toEqual(['Limits now: Max 1 SOL per trade, 10 open positions, daily loss limit 2 SOL.']);
  });
});

describe('/pnl', () => {
  it('shows a positive realised PnL and the win rate after a profitable sell', async () => {
    await start();
    expect((await h.say(ADMIN, '/pnl'))[0]).toContain('Closed positions: 0, 0 won');
    await h.say(ADMIN, BUY);
    h.market.setPrice(MINT_A, 0.015 * 1.3);
    expect((await h.press(ADMIN, 'pos:s100:1')).texts[0]).toMatch(/PnL \+0\.1\d+ SOL \(\+29\.\d\d%\)/);
    const [day] = await h.say(ADMIN, '/pnl');
    expect(day).toMatch(/^PnL today \(since 00:00 UTC\)\nRealised: \+0\.1\d+ SOL from 1 sale\nUnrealised: \+0 SOL on 0 open positions\nClosed positions: 1, 1 won, win rate 100%$/);
    expect((await h.say(ADMIN, '/pnl all'))[0]).toContain('win rate 100%');
    expect((await h.press(ADMIN, 'demo:pnl')).texts[0]).toBe(day);
    expect(await h.say(ADMIN, '/pnl month')).toEqual(['Usage: /pnl [day|week|all]']);
  });
});

describe('the guided buy', () => {
  it('asks token, amount and TP/SL, shows the quote and buys on Confirm', async () => {
    await start();
    expect(await h.say(ADMIN, '/buy')).toEqual(['Which token? Send its mint address (or /cancel).']);
    expect((await h.say(ADMIN, 'hello'))[0]).toMatch(/^That is not a Solana token address/);
    expect(await h.say(ADMIN, MINT_A)).toEqual(['How much SOL should I spend? You have 10 SOL (paper); at most 1 SOL per trade.']);
    expect(await h.say(ADMIN, '2')).toEqual(['That is more than the 1 SOL allowed per trade. Send a smaller amount, or /cancel.']);
    expect(await h.say(ADMIN, '0.3')).toEqual(['Take-profit and stop-loss? Send them like tp=50:50,100:50 sl=20 (add trail for a trailing stop).']);
    expect(await h.say(ADMIN, 'tp=100')).toEqual(['Give both a take-profit and a stop-loss, like tp=50:50,100:50 sl=20. Try again, or /cancel.']);
    expect(await h.say(ADMIN, 'tp=100 sl=150')).toEqual(['The stop-loss must be between 0% and 100% below entry. Try again, or /cancel.']);
    const [card] = await h.say(ADMIN, 'tp=100 sl=30 trail');
    expect(card).toContain('Confirm this paper buy');
    expect(card).toContain('You get about: 3000 tokens');
    expect(card).toContain('TP +100% sell 100%; SL -30% trailing');
    const [fill] = (await h.press(ADMIN, button('Confirm'))).texts;
    expect(fill).toContain('Bought (paper): position #1');
    expect(fill).toContain('3000 tokens of Aaaa…Lmno');
    expect((await h.say(ADMIN, '/positions'))[0]).toContain('#1 Aaaa…Lmno · paper · open');
  });

  it('starts from the menu and offers the presets as a button', async () => {
    await start();
    await h.say(ADMIN, '/settings preset tp=50:50,100:50 sl=20');
    await menu();
    expect(buttons().map((b) => b.data)).toEqual(['demo:balance', 'demo:positions', 'demo:buy', 'demo:settings', 'demo:pnl']);
    expect((await h.press(ADMIN, 'demo:balance')).texts).toEqual(['Balance: 10 SOL (paper).']);
    expect((await h.press(ADMIN, 'demo:positions')).texts).toEqual([noPositions]);
    expect((await h.press(ADMIN, 'demo:settings')).texts[0]).toContain('Trading settings');
    expect((await h.press(ADMIN, 'demo:buy')).texts).toEqual(['Which token? Send its mint address (or /cancel).']);
    await h.say(ADMIN, MINT_A);
    const [ask] = await h.say(ADMIN, '0.1');
    expect(ask).toContain('Or use your presets: TP +50% sell 50%, +100% sell 50%; SL -20%.');
    const [card] = (await h.press(ADMIN, button('Use presets'))).texts;
    expect(card).toContain('(from your presets)');
    expect((await h.press(ADMIN, button('Confirm'))).texts[0]).toContain('Bought (paper): position #1');
  });

  it('an unknown token ends the guided buy with one clear sentence', async () => {
    await start();
    await h.say(ADMIN, '/buy');
    await h.say(ADMIN, UNKNOWN_MINT);
    await h.say(ADMIN, '0.1');
    expect(await h.say(ADMIN, 'tp=50 sl=20')).toEqual(['There is no reliable price for this token, so its take-profit and stop-loss could not be watched. Not buying it.']);
    expect(await h.say(ADMIN, '/positions')).toEqual([noPositions]);
  });
});

describe('live sells', () => {
  const MASTER = 'correct horse battery staple';
  const RPC = 'http://rpc-a.test';

  async function live(): Promise<FakeSolanaRpc> {
    const rpc = new FakeSolanaRpc({ confirmAfterSends: 1 });
    const dataDir = mkdtempSync(join(tmpdir(), 'jarvis-chat-live-'));
    const seed = randomBytes(32);
    const db = openDatabase(join(dataDir, 'jarvis.db'));
    migrate(db, readMigrations(join(projectRoot(), 'migrations')));
    importWallet(db, encodeBase58(seed), MASTER, Date.now());
    db.close();
    rpc.balances.set(keypairFromSecretKey(seed).publicKey, 10_000_000_000);
    h = await makeTradingHarness({ TRADING_MODE: 'live', JARVIS_MASTER_SECRET: MASTER, SOLANA_RPC_URL: RPC, SOLANA_RESEND_INTERVAL_MS: '100', TRADING_LIVE_CONFIRM_ABOVE_SOL: '0.1' }, { dataDir });
    (h.market as unknown as { makeTransaction: (user: string) => Uint8Array }).makeTransaction = (user: string) => {
      h.market.lastValidBlockHeight = rpc.blockHeight + 150;
      return buildUnsignedTransaction({ payer: user });
    };
    h.server.use(...rpc.handlers(RPC));
    rpc.swapsFrom(h.market);
    return rpc;
  }

  it('a large live sale asks first; an expired confirmation sells nothing, a timely one sells', async () => {
    const rpc = await live();
    expect(await h.say(ADMIN, '/settings mode live')).toEqual(['Mode is now live: buys and sells use real SOL from the wallet.']);
    // 0.5 SOL is above the 0.1 SOL threshold: the buy asks too.
    const [card] = await h.say(ADMIN, BUY);
    expect(card).toContain('Confirm this live buy');
    expect((await h.press(ADMIN, button('Confirm'))).texts.join('\n')).toContain('Bought: position #1');

    // 25% of the position cost about 0.125 SOL: above the threshold, so it asks.
    const ask = await h.press(ADMIN, 'pos:s25:1');
    expect(ask.texts[0]).toMatch(/^Sell 25% of live position #1 \(Aaaa…Lmno\): 1250 tokens that cost 0\.125\d* SOL, worth about 0\.125 SOL at the last price\? This sells for real SOL\. Confirm within 60 seconds\.$/);
    h.clock.advance(61_000);
    expect((await h.press(ADMIN, button('Confirm'))).texts).toEqual(['This confirmation has expired, so position #1 was not sold. Press Sell again to sell it.']);
    expect((await h.say(ADMIN, '/positions'))[0]).toContain('Holding 5000 of 5000 tokens');

    await h.press(ADMIN, 'pos:s25:1');
    expect((await h.press(ADMIN, button('Cancel'))).texts).toEqual(['Cancelled: position #1 was not sold.']);

    await h.press(ADMIN, 'pos:s25:1');
    const sold = await h.press(ADMIN, button('Confirm'));
    expect(sold.texts[0]).toMatch(/^Sold 25% of position #1 \(Aaaa…Lmno\): received/);
    expect(sold.texts[0]).toContain(`https://solscan.io/tx/${rpc.sent.at(-1)!.signature}`);
    expect((await h.say(ADMIN, '/positions'))[0]).toContain('Holding 3750 of 5000 tokens');
  });
});
