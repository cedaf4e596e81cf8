import Database from 'better-sqlite3';
import type { FakeSolanaRpc } from '../fakes/solana-rpc.js';

/**
 * What the crash drill checks after every kill, read straight from the database file (and, for
 * live positions, from the fake chain): nothing sold twice, every fill recorded once, paper money
 * that adds up. These hold at every commit, so they are checked on the killed file as well as
 * after the restart has settled.
 */

export interface BookAudit {
  /** A position that lost more than it held: more tokens sold than bought, a fill counted twice, or a chain that moved more than the book says. */
  doubleSells: string[];
  /** Any other broken invariant: a buy recorded twice, tokens left that do not add up, paper SOL that does not balance, chain and book apart. */
  problems: string[];
  states: Record<'pending' | 'open' | 'exiting' | 'closed' | 'failed', number>;
  /** Live positions in flight (pending or exiting) that the chain comparison skipped. */
  inFlight: number;
  sells: { tp: number; sl: number; trail: number; manual: number };
  /** Exits recorded on an open row waiting for a retry. */
  retrying: number;
}

interface PositionRow {
  id: number;
  user_key: string;
  mode: 'paper' | 'live';
  mint: string;
  state: keyof BookAudit['states'];
  cost_lamports: number;
  tokens_bought: string;
  tokens_left: string;
  exit: string | null;
}

interface TradeRow {
  position_id: number;
  side: 'buy' | 'sell';
  reason: string;
  exit_id: string | null;
  tokens: string;
  sol_lamports: number;
  signature: string | null;
}

/** What the fake chain says the wallet holds and sold, per mint. */
export interface ChainView {
  tokens(mint: string): bigint;
  /** Sales that landed and moved tokens. */
  sells(mint: string): number;
  /** Landed transactions that failed on chain: in this drill only a sale of more than the wallet held. */
  rejected: { signature: string; mint: string }[];
}

type TokenEntry = { accountIndex: number; mint: string; owner: string; uiTokenAmount: { amount: string } };
type LandedTx = { meta: { err: unknown; preTokenBalances: TokenEntry[]; postTokenBalances: TokenEntry[] } };

/** A snapshot of the fake chain for `wallet` (synchronous: nothing can land while it is taken). */
export function chainView(rpc: FakeSolanaRpc, wallet: string): ChainView {
  // The fake keeps landed transactions privately, as a node serves them to getTransaction.
  const landed = (rpc as unknown as { transactions: Map<string, LandedTx> }).transactions;
  const sells = new Map<string, number>();
  const rejected: ChainView['rejected'] = [];
  for (const [signature, tx] of landed) {
    const mine = (list: TokenEntry[]) => list.find((e) => e.owner === wallet);
    const pre = mine(tx.meta.preTokenBalances);
    const post = mine(tx.meta.postTokenBalances);
    const mint = (pre ?? post)?.mint ?? tx.meta.preTokenBalances[0]?.mint ?? '?';
    if (tx.meta.err !== null) {
      rejected.push({ signature, mint });
      continue;
    }
    if (pre && post && BigInt(post.uiTokenAmount.amount) < BigInt(pre.uiTokenAmount.amount)) sells.set(mint, (sells.get(mint) ?? 0) + 1);
  }
  return { tokens: (mint) => rpc.tokenBalance(wallet, mint), sells: (mint) => sells.get(mint) ?? 0, rejected };
}

export interface AuditOptions {
  /** Paper balance every account opened at, in lamports. */
  paperStartLamports: number;
  /** Take the chain snapshot first, then read the book (see chainView). */
  chain?: () => ChainView;
}

export function auditBook(dbPath: string, opts: AuditOptions): BookAudit {
  const chain = opts.chain?.();
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  let positions: PositionRow[];
  let trades: TradeRow[];
  let accounts: { user_key: string; lamports: number }[];
  let repeatedExits: { exit_id: string; n: number }[];
  try {
    // One read transaction: the daemon may be writing while we look.
    ({ positions, trades, accounts, repeatedExits } = db.transaction(() => ({
      positions: db.prepare('SELECT id, user_key, mode, mint, state, cost_lamports, tokens_bought, tokens_left, exit FROM positions ORDER BY id').all() as PositionRow[],
      trades: db.prepare('SELECT position_id, side, reason, exit_id, tokens, sol_lamports, signature FROM trades ORDER BY id').all() as TradeRow[],
      accounts: db.prepare('SELECT user_key, lamports FROM paper_accounts').all() as { user_key: string; lamports: number }[],
      repeatedExits: db.prepare('SELECT exit_id, COUNT(*) AS n FROM trades WHERE exit_id IS NOT NULL GROUP BY exit_id HAVING COUNT(*) > 1').all() as { exit_id: string; n: number }[],
    }))());
  } finally {
    db.close();
  }

  const audit: BookAudit = {
    doubleSells: [],
    problems: [],
    states: { pending: 0, open: 0, exiting: 0, closed: 0, failed: 0 },
    inFlight: 0,
    sells: { tp: 0, sl: 0, trail: 0, manual: 0 },
    retrying: 0,
  };
  for (const r of repeatedExits) audit.doubleSells.push(`exit ${r.exit_id} recorded ${r.n} times`);
  const byPosition = new Map<number, TradeRow[]>();
  for (const t of trades) {
    const list = byPosition.get(t.position_id) ?? [];
    list.push(t);
    byPosition.set(t.position_id, list);
    if (t.side === 'sell') audit.sells[t.reason as keyof BookAudit['sells']]++;
  }
  const paperCost = new Map<string, number>();
  const paperIn = new Map<string, number>();

  for (const p of positions) {
    audit.states[p.state]++;
    if (p.state === 'open' && p.exit !== null) audit.retrying++;
    const list = byPosition.get(p.id) ?? [];
    const buys = list.filter((t) => t.side === 'buy');
    const sells = list.filter((t) => t.side === 'sell');
    const bought = BigInt(p.tokens_bought);
    const left = BigInt(p.tokens_left);
    const sold = sells.reduce((s, t) => s + BigInt(t.tokens), 0n);
    const name = `#${p.id} (${p.mode}, ${p.state})`;

    if (sold > bought) audit.doubleSells.push(`${name}: sold ${sold} of ${bought} tokens bought in ${sells.length} sales`);
    if (p.state === 'pending' || p.state === 'failed') {
      if (buys.length || sells.length) audit.problems.push(`${name}: has ${buys.length} buy and ${sells.length} sell trades`);
    } else {
      if (buys.length !== 1) audit.problems.push(`${name}: ${buys.length} buy trades`);
      else if (BigInt(buys[0]!.tokens) !== bought) audit.problems.push(`${name}: bought ${bought} but its buy trade says ${buys[0]!.tokens}`);
      if (left !== bought - sold) audit.problems.push(`${name}: ${left} tokens left, but bought ${bought} - sold ${sold} = ${bought - sold}`);
      if (p.state === 'closed' && left !== 0n) audit.problems.push(`${name}: closed with ${left} tokens left`);
    }

    if (p.mode === 'paper') {
      if (p.state !== 'failed') paperCost.set(p.user_key, (paperCost.get(p.user_key) ?? 0) + p.cost_lamports);
      for (const s of sells) paperIn.set(p.user_key, (paperIn.get(p.user_key) ?? 0) + Math.max(0, s.sol_lamports));
    } else if (chain) {
      if (p.state === 'pending' || p.state === 'exiting') {
        audit.inFlight++;
        continue;
      }
      const held = chain.tokens(p.mint);
      const expected = p.state === 'failed' ? 0n : left;
      if (held < expected) audit.doubleSells.push(`${name}: the wallet holds ${held} of ${p.mint.slice(0, 6)}…, the book ${expected}`);
      else if (held > expected) audit.problems.push(`${name}: the wallet holds ${held} of ${p.mint.slice(0, 6)}…, the book only ${expected}`);
      const landed = chain.sells(p.mint);
      if (landed !== sells.length) (landed > sells.length ? audit.doubleSells : audit.problems).push(`${name}: ${landed} sales landed on chain, ${sells.length} recorded`);
    }
  }
  for (const r of chain?.rejected ?? []) audit.doubleSells.push(`a sale of ${r.mint.slice(0, 6)}… was sent for more than the wallet held (${r.signature.slice(0, 8)}…)`);

  for (const a of accounts) {
    const expected = opts.paperStartLamports - (paperCost.get(a.user_key) ?? 0) + (paperIn.get(a.user_key) ?? 0);
    if (a.lamports !== expected) audit.problems.push(`paper account ${a.user_key}: ${a.lamports} lamports, the book says ${expected}`);
  }
  return audit;
}

/** `PRAGMA integrity_check`, read-only so a killed file is looked at as the restart will find it. */
export function integrity(dbPath: string): string {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; ');
  } finally {
    db.close();
  }
}
