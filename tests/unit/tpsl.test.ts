import { describe, expect, it } from 'vitest';
import { checkPlan, describePlan, evaluate, parseStopLoss, parseTakeProfit, stopPrice, type ExitPlan, type Watched } from '../../src/trading/tpsl.js';
import { parseBuyArgs, parseSolAmount } from '../../src/trading/buy-args.js';

const legs = (s: string) => {
  const r = parseTakeProfit(s);
  if (typeof r === 'string') throw new Error(r);
  return r;
};
const watched = (plan: ExitPlan, high = 1): Watched => ({ id: 1, entryPrice: 1, highPrice: high, plan });

describe('take-profit and stop-loss parsing', () => {
  it('reads ladders and single levels', () => {
    expect(legs('50:50,100:50')).toEqual([
      { at: 50, sell: 50, done: false },
      { at: 100, sell: 50, done: false },
    ]);
    expect(legs('100')).toEqual([{ at: 100, sell: 100, done: false }]);
    expect(legs('25%:30%')).toEqual([{ at: 25, sell: 30, done: false }]);
  });

  it('explains what is wrong in one sentence', () => {
    expect(parseTakeProfit('')).toMatch(/empty/);
    expect(parseTakeProfit('50,100')).toMatch(/share to sell/);
    expect(parseTakeProfit('abc')).toMatch(/not a take-profit level/);
    expect(parseStopLoss('-5')).toMatch(/not a stop-loss/);
  });

  it('refuses ladders over 100%, out of order, or without a stop', () => {
    expect(checkPlan({ tp: legs('50:60,100:50'), slPct: 20, trailing: false })).toMatch(/110% in total/);
    expect(checkPlan({ tp: legs('100:50,50:50'), slPct: 20, trailing: false })).toMatch(/go up/);
    expect(checkPlan({ tp: legs('50'), slPct: 0, trailing: false })).toMatch(/stop-loss/);
    expect(checkPlan({ tp: legs('50'), slPct: 100, trailing: false })).toMatch(/stop-loss/);
    expect(checkPlan({ tp: [], slPct: 20, trailing: false })).toMatch(/take-profit/);
    expect(checkPlan({ tp: legs('50:50,100:50'), slPct: 20, trailing: true })).toBeUndefined();
    expect(describePlan({ tp: legs('50:50,100:50'), slPct: 20, trailing: true })).toBe('TP +50% sell 50%, +100% sell 50%; SL -20% trailing');
  });
});

describe('trigger evaluation', () => {
  const ladder: ExitPlan = { tp: legs('50:50,100:50'), slPct: 20, trailing: false };

  it('fires nothing between the stop and the first level', () => {
    expect(evaluate(watched(ladder), 1.2).trigger).toBeUndefined();
    expect(evaluate(watched(ladder), 0.81).trigger).toBeUndefined();
  });

  it('fires the first leg at +50%, and both legs at once when the price jumps past both', () => {
    expect(evaluate(watched(ladder), 1.5).trigger).toEqual({ kind: 'tp', legs: [0], sellPct: 50, all: false, price: 1.5 });
    expect(evaluate(watched(ladder), 2.5).trigger).toEqual({ kind: 'tp', legs: [0, 1], sellPct: 100, all: true, price: 2.5 });
  });

  it('the last leg of a 100% ladder sells all that is left; a partial ladder leaves the rest to the stop', () => {
    const half: ExitPlan = { ...ladder, tp: [{ at: 50, sell: 50, done: true }, { at: 100, sell: 50, done: false }] };
    expect(evaluate(watched(half), 2).trigger).toMatchObject({ legs: [1], all: true });
    const partial: ExitPlan = { tp: legs('50:30'), slPct: 20, trailing: false };
    expect(evaluate(watched(partial), 1.6).trigger).toMatchObject({ legs: [0], sellPct: 30, all: false });
    const done: ExitPlan = { ...partial, tp: [{ at: 50, sell: 30, done: true }] };
    expect(evaluate(watched(done), 3).trigger).toBeUndefined();
  });

  it('a ladder of thirds sells everything at its last rung, leaving no dust', () => {
    const thirds: ExitPlan = { tp: [{ at: 50, sell: 33.33, done: true }, { at: 100, sell: 33.33, done: true }, { at: 150, sell: 33.33, done: false }], slPct: 20, trailing: false };
    expect(evaluate(watched(thirds), 2.6).trigger).toMatchObject({ legs: [2], all: true });
  });

  it('a fixed stop sits below entry; a trailing stop below the highest price seen', () => {
    expect(evaluate(watched(ladder), 0.8).trigger).toMatchObject({ kind: 'sl', trailing: false });
    const trail: ExitPlan = { tp: legs('500'), slPct: 10, trailing: true };
    expect(stopPrice(watched(trail, 2))).toBeCloseTo(1.8);
    expect(evaluate(watched(trail, 2), 1.85).trigger).toBeUndefined();
    expect(evaluate(watched(trail, 2), 1.79).trigger).toMatchObject({ kind: 'sl', trailing: true });
    // A new high moves the stop for the next tick, not this one.
    expect(evaluate(watched(trail, 2), 3)).toEqual({ high: 3 });
  });

  it('a missing or absurd price never triggers', () => {
    for (const p of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) expect(evaluate(watched(ladder), p).trigger).toBeUndefined();
  });
});

describe('/buy arguments', () => {
  const MINT = '7xKXtg2CW87d97TXJSDpbD5jBkheTqA83TZRuJosgAsU';

  it('parses the full form', () => {
    expect(parseBuyArgs(`${MINT} 0.5 tp=50:50,100:50 sl=20 trail slip=1.5`)).toEqual({
      mint: MINT,
      lamports: 500_000_000,
      tp: legs('50:50,100:50'),
      slPct: 20,
      trailing: true,
      slippageBps: 150,
    });
  });

  it('refuses bad mints, amounts and words, saying which', () => {
    expect(parseBuyArgs('')).toMatch(/^Usage/);
    expect(parseBuyArgs(`${MINT.slice(0, -1)}0 1`)).toMatch(/not a Solana token address/);
    expect(parseBuyArgs('So1111111111111111111111111111111111 1')).toMatch(/not a Solana token address/);
    expect(parseBuyArgs(`${MINT} lots`)).toMatch(/not an amount of SOL/);
    expect(parseBuyArgs(`${MINT} 0`)).toMatch(/more than 0/);
    expect(parseBuyArgs(`${MINT} 1 moon=yes`)).toMatch(/do not understand "moon=yes"/);
    expect(parseSolAmount('0.0000000001')).toMatch(/not an amount/);
  });
});
