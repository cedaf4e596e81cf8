import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN } from '../support/app-harness.js';
import { makeTradingHarness, MINT_A, MINT_B, type TradingHarness } from '../support/trading-harness.js';
import { liveBuy, liveHarness, MASTER, OWNER, RPC_A, RPC_B } from '../support/live-harness.js';
import { FakeSolanaRpc } from '../fakes/solana-rpc.js';
import { buildUnsignedTransaction } from '../fakes/solana-tx-builder.js';
import { encodeBase58 } from '../../src/trading/base58.js';
import { plainText } from '../../src/core/message.js';
import { doctorCommand } from '../../src/ops/doctor/cli.js';

/**
 * Live positions that cannot be sold because the wallet is not unlocked (TRADING_MODE back to
 * paper, no master secret, a wrong one): what admins are told at start, what /status and
 * `jarvis doctor` say. The real app against the fake market and fake Solana RPC.
 */

const SECOND_ADMIN = 2002;
let h: TradingHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Starts Jarvis again on the same data with other settings, its RPC served by the same fake chain. */
async function reopen(dataDir: string, rpc: FakeSolanaRpc, env: Record<string, string>): Promise<TradingHarness> {
  const handlers = [...rpc.handlers(RPC_A), ...rpc.handlers(RPC_B)];
  const t = await makeTradingHarness({ SOLANA_RPC_URL: `${RPC_A},${RPC_B}`, SOLANA_RESEND_INTERVAL_MS: '100', ...env }, { dataDir, handlers });
  rpc.swapsFrom(t.market);
  (t.market as unknown as { makeTransaction: (user: string) => Uint8Array }).makeTransaction = (user: string) => {
    t.market.lastValidBlockHeight = rpc.blockHeight + 150;
    return buildUnsignedTransaction({ payer: user });
  };
  return t;
}

/** Everything sent to a user's private chat since this app started (notices delivered first). */
async function chat(t: TradingHarness, userId: number): Promise<string[]> {
  for (let i = 0; i < 200 && t.app.services.trading.exits.busy > 0; i++) await new Promise((r) => setTimeout(r, 5));
  await t.app.services.notices.deliver();
  return t.memory.sent.filter((m) => m.kind === 'send' && m.chatId === String(userId)).map((m) => plainText(m.out.text));
}

const strandedIn = (texts: string[]) => texts.filter((x) => x.includes('cannot be sold'));

/** A live session with one open position (#1) and one whose sale was sent when Jarvis stopped (#2). */
async function liveBook(): Promise<{ rpc: FakeSolanaRpc; dataDir: string }> {
  const rpc = new FakeSolanaRpc({ confirmAfterSends: 1 });
  const { harness, dataDir } = await liveHarness(rpc);
  harness.app.services.roles.grant({ channel: 'telegram', userId: String(SECOND_ADMIN) }, 'admin', OWNER);
  await liveBuy(harness, `${MINT_A} 0.5 tp=50 sl=20`);
  const p2 = await liveBuy(harness, `${MINT_B} 0.2 tp=50 sl=20`);
  const intent = { id: 'sent-exit', reason: 'sl' as const, legs: [], tokens: p2.tokensLeft.toString(), tx: { signature: encodeBase58(randomBytes(64)), lastValidBlockHeight: rpc.blockHeight + 100, venue: 'jupiter', expectedOut: '1', feeLamports: 1 } };
  expect(harness.app.services.trading.exits.claim(p2.id, intent)).toBe(true);
  harness.app.services.trading.d.store.sql.setExitTx.run({ id: p2.id, exit: JSON.stringify(intent), now: Date.now() });
  await harness.close();
  return { rpc, dataDir };
}

async function doctorLine(env: Record<string, string>): Promise<{ code: number; line: string | undefined }> {
  let out = '';
  const code = await doctorCommand([], { JARVIS_ENV_FILE: '/nonexistent/.env', ...env }, { out: (s) => (out += s), err: (s) => (out += s) });
  const line = out.split('\n').find((l) => /^(PASS|WARN|FAIL|SKIP) {2}live exits/.test(l));
  return { code, line: line?.replace(/ +/g, ' ') };
}

describe('live positions that cannot be sold', () => {
  it('TRADING_MODE back to paper: every admin is told once at start which positions and what to do', async () => {
    const { rpc, dataDir } = await liveBook();
    h = await reopen(dataDir, rpc, { TRADING_MODE: 'paper', JARVIS_MASTER_SECRET: MASTER });
    const expected = [
      '⚠️ 2 live positions cannot be sold: TRADING_MODE is paper, so the wallet that signs their sales is not unlocked.',
      '• #1 Aaaa…Lmno (telegram:1001), open',
      '• #2 7xKX…gAsU (telegram:1001), selling: a sale was sent and cannot be looked up',
      'Their take-profit, stop-loss and manual sales fail and are retried without end; nothing is sold on paper instead.',
      'To fix: set TRADING_MODE=live again (with JARVIS_MASTER_SECRET) and restart Jarvis; new buys stay paper for whoever chose /settings mode paper.',
    ].join('\n');
    expect(strandedIn(await chat(h, ADMIN))).toEqual([expected]);
    expect(strandedIn(await chat(h, SECOND_ADMIN))).toEqual([expected]);

    // What the exit desk does meanwhile: the stop fires, the sale fails for want of the wallet, and is retried; never on paper.
    h.market.setPrice(MINT_A, 0.015 * 0.5);
    await h.tick();
    h.clock.advance(60_000);
    await h.tick();
    const owner = await chat(h, ADMIN);
    expect(owner.filter((x) => x.startsWith('Selling position #1'))).toEqual([
      'Selling position #1 (Aaaa…Lmno) failed: Live trading is not available: TRADING_MODE is paper, so the wallet that signs their sales is not unlocked. An admin can fix it: set TRADING_MODE=live again (with JARVIS_MASTER_SECRET) and restart Jarvis; new buys stay paper for whoever chose /settings mode paper. Retrying in 5 s (attempt 1).',
      'Selling position #1 (Aaaa…Lmno) failed: Live trading is not available: TRADING_MODE is paper, so the wallet that signs their sales is not unlocked. An admin can fix it: set TRADING_MODE=live again (with JARVIS_MASTER_SECRET) and restart Jarvis; new buys stay paper for whoever chose /settings mode paper. Retrying in 10 s (attempt 2).',
    ]);
    expect(h.app.services.trading.d.store.get(1)!.state).toBe('open');
    expect(h.app.services.db.prepare("SELECT COUNT(*) AS n FROM trades WHERE side = 'sell'").get()).toEqual({ n: 0 });
    // Once per start: the ticks did not repeat it...
    expect(strandedIn(owner)).toHaveLength(1);
    // ...and the next start says it again.
    await h.restart();
    expect(strandedIn(await chat(h, ADMIN))).toEqual([expected]);
  });

  it('/status shows them, with the fix', async () => {
    const { rpc, dataDir } = await liveBook();
    h = await reopen(dataDir, rpc, { TRADING_MODE: 'paper' });
    const status = (await h.say(ADMIN, '/status'))[0]!;
    expect(status).toContain('• paper; 2 open positions over 2 tokens');
    expect(status).toContain('• ⚠️ 2 live position(s) (#1, #2) cannot be sold: TRADING_MODE is paper, so the wallet that signs their sales is not unlocked. Fix: set TRADING_MODE=live again');
  });

  it('live without JARVIS_MASTER_SECRET: told the secret is missing; with it back, nothing is said and the stop sells live', async () => {
    const { rpc, dataDir } = await liveBook();
    h = await reopen(dataDir, rpc, { TRADING_MODE: 'live' });
    const [told] = strandedIn(await chat(h, ADMIN));
    expect(told).toContain('⚠️ 2 live positions cannot be sold: JARVIS_MASTER_SECRET is not set, so the wallet that signs their sales stays locked.');
    expect(told).toContain('To fix: set JARVIS_MASTER_SECRET in the environment Jarvis runs in and restart it.');
    await h.close();

    h = await reopen(dataDir, rpc, { TRADING_MODE: 'live', JARVIS_MASTER_SECRET: MASTER });
    expect(strandedIn(await chat(h, ADMIN))).toEqual([]);
    expect((await h.say(ADMIN, '/status'))[0]).not.toContain('cannot be sold');
    h.market.setPrice(MINT_A, 0.015 * 0.5);
    await h.tick();
    expect(h.app.services.trading.d.store.get(1)!.state).toBe('closed');
  });

  it('an owner dropped from TRADING_LIVE_USERS strands nothing: no warning, and the stop-loss still sells live', async () => {
    const { rpc, dataDir } = await liveBook();
    h = await reopen(dataDir, rpc, { TRADING_MODE: 'live', JARVIS_MASTER_SECRET: MASTER, TRADING_LIVE_USERS: 'telegram:4242' });
    expect(strandedIn(await chat(h, ADMIN))).toEqual([]);
    const sends = rpc.sent.length;
    h.market.setPrice(MINT_A, 0.015 * 0.5);
    await h.tick();
    expect(h.app.services.trading.d.store.get(1)!.state).toBe('closed');
    expect(rpc.sent.length).toBeGreaterThan(sends);
  });

  it('jarvis doctor fails the check while the wallet would not unlock, and passes once it would', async () => {
    const { dataDir } = await liveBook();
    const base = { JARVIS_DATA_DIR: dataDir, JARVIS_ADMINS: OWNER, SOLANA_RPC_URL: 'http://127.0.0.1:9' };
    const paper = await doctorLine({ ...base, TRADING_MODE: 'paper', JARVIS_MASTER_SECRET: MASTER });
    expect(paper.line).toBe('FAIL live exits 2 live position(s) (#1, #2) cannot be sold: TRADING_MODE is paper, so the wallet that signs their sales is not unlocked — fix: set TRADING_MODE=live again (with JARVIS_MASTER_SECRET) and restart Jarvis; new buys stay paper for whoever chose /settings mode paper');
    expect(paper.code).toBe(1);
    const wrong = await doctorLine({ ...base, TRADING_MODE: 'live', JARVIS_MASTER_SECRET: 'not the right secret' });
    expect(wrong.line).toMatch(/^FAIL live exits 2 live position\(s\) \(#1, #2\) cannot be sold: JARVIS_MASTER_SECRET does not unlock the stored wallet, so Jarvis refuses to start — fix: set the right JARVIS_MASTER_SECRET/);
    expect(wrong.line).not.toContain('not the right secret');
    const right = await doctorLine({ ...base, TRADING_MODE: 'live', JARVIS_MASTER_SECRET: MASTER });
    expect(right.line).toBe('PASS live exits 2 live position(s); the wallet unlocks, so their exits can be signed');
  });
});
