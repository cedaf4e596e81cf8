import type { Ctx, Handler } from '../src/core/handler.js';
import { UserError } from '../src/core/errors.js';
import { bold, code, plain, type Span } from '../src/core/message.js';
import { parseSolAmount } from '../src/trading/buy-args.js';
import { checkPlan, describePlan } from '../src/trading/tpsl.js';
import { sol } from '../src/trading/format.js';
import type { PriorityLevel } from '../src/config.js';
import type { Settings } from '../src/trading/store.js';
import { parsePlanWords } from '../src/trading/buy-args.js';

/**
 * /settings: a person's own trading mode, slippage, priority fee, TP/SL presets and limits.
 * Changes move no money, so they are 'read' and work in lockdown; switching to live still goes
 * through the service's liveAllowed. Limits can only be tightened below what the owner set.
 * Every change is checked before anything is saved, so a bad value changes nothing.
 */

const HOW = [
  '/settings slippage 1.5',
  '/settings priority low|medium|high',
  '/settings preset tp=50:50,100:50 sl=20 [trail]',
  '/settings preset clear',
  '/settings mode paper|live',
  '/settings limit trade|open|loss <value>',
];

const PRIORITIES: readonly PriorityLevel[] = ['low', 'medium', 'high'];

export function settingsView(ctx: Ctx): Span[] {
  const { trading, config } = ctx.services;
  const s = trading.settings(ctx.key);
  const mode = trading.modeFor(ctx.key);
  const why = trading.liveAllowed(ctx.key);
  const modeLine = s.mode === 'live' && mode === 'paper' ? `paper (you chose live, but: ${why})` : mode;
  const slip = s.slippageBps ?? config.trading.defaultSlippageBps;
  return [
    bold('Trading settings'),
    plain(`\nMode: ${modeLine}`),
    plain(`\nSlippage: ${slip / 100}%${s.slippageBps === null ? ' (default)' : ''}`),
    plain(`\nPriority fee: ${s.priority} (${sol(trading.priorityFee(s.priority), 6)} per transaction)`),
    plain(`\nPresets: ${s.preset ? describePlan(s.preset) : 'none (every /buy needs tp= and sl=)'}`),
    plain(`\nLimits: ${trading.describeLimits(ctx.key)}`),
    plain('\nChange with:'),
    ...HOW.flatMap((h) => [plain('\n'), code(h)]),
  ];
}

type Patch = Parameters<Ctx['services']['trading']['updateSettings']>[1];

const isReset = (v: string | undefined): boolean => v !== undefined && /^(default|reset|none|off)$/i.test(v);

/** A limit value, or null to go back to the owner's limit. Refuses anything looser than config. */
function limitPatch(ctx: Ctx, which: string | undefined, value: string | undefined): Patch {
  const c = ctx.services.config.trading;
  if (value === undefined) throw new UserError('Usage: /settings limit trade <sol> | open <number> | loss <sol> (or default).');
  const reset = isReset(value);
  const tighter = (cap: string) => `That is looser than the owner's limit of ${cap}; you can only make it tighter.`;
  switch (which?.toLowerCase()) {
    case 'trade': {
      if (reset) return { maxTradeLamports: null };
      const l = parseSolAmount(value);
      if (typeof l === 'string') throw new UserError(l);
      if (l > c.maxTradeLamports) throw new UserError(tighter(`${sol(c.maxTradeLamports)} per trade`));
      return { maxTradeLamports: l };
    }
    case 'open': {
      if (reset) return { maxOpen: null };
      const n = /^\d{1,6}$/.test(value) ? Number(value) : Number.NaN;
      if (!(n >= 1)) throw new UserError('The number of open positions is a whole number, at least 1.');
      if (n > c.maxOpenPositions) throw new UserError(tighter(`${c.maxOpenPositions} open positions`));
      return { maxOpen: n };
    }
    case 'loss': {
      if (reset) return { dailyLossLamports: null };
      const l = parseSolAmount(value);
      if (typeof l === 'string') throw new UserError(l);
      if (l > c.dailyLossLimitLamports) throw new UserError(tighter(`${sol(c.dailyLossLimitLamports)} lost per day`));
      return { dailyLossLamports: l };
    }
    default:
      throw new UserError('Which limit? Use /settings limit trade <sol>, open <number> or loss <sol>.');
  }
}

/** Parses one change; returns the patch and what to say once it is saved. */
function change(ctx: Ctx, words: string[]): { patch: Patch; said: (s: Settings) => string } {
  const [what, ...rest] = words;
  const value = rest[0];
  const { trading, config } = ctx.services;
  switch (what?.toLowerCase()) {
    case 'slippage':
    case 'slip': {
      if (rest.length !== 1) throw new UserError('Usage: /settings slippage <percent>, like /settings slippage 1.5 (or default).');
      if (isReset(value)) return { patch: { slippageBps: null }, said: () => `Slippage is back to the default, ${config.trading.defaultSlippageBps / 100}%.` };
      const m = /^(\d{1,3}(?:\.\d{1,2})?)%?$/.exec(value!);
      if (!m) throw new UserError(`"${value!.slice(0, 20)}" is not a percentage, like 1.5.`);
      return { patch: { slippageBps: Math.round(Number(m[1]) * 100) }, said: (s) => `Slippage is now ${(s.slippageBps ?? 0) / 100}%.` };
    }
    case 'priority': {
      const level = value?.toLowerCase() as PriorityLevel | undefined;
      if (rest.length !== 1 || !level || !PRIORITIES.includes(level)) throw new UserError('The priority fee level is low, medium or high.');
      return { patch: { priority: level }, said: (s) => `Priority fee is now ${s.priority} (${sol(trading.priorityFee(s.priority), 6)} per transaction).` };
    }
    case 'preset':
    case 'presets': {
      if (rest.length === 1 && /^(clear|none|off|delete)$/i.test(value!)) {
        return { patch: { preset: null }, said: () => 'Presets cleared: every /buy needs tp= and sl= again.' };
      }
      const words = parsePlanWords(rest.join(' '));
      if (typeof words === 'string') throw new UserError(words);
      if (!words.tp || words.slPct === undefined) throw new UserError('A preset needs both a take-profit and a stop-loss, like /settings preset tp=50:50,100:50 sl=20.');
      const preset = { tp: words.tp, slPct: words.slPct, trailing: words.trailing ?? false };
      const why = checkPlan(preset);
      if (why) throw new UserError(why);
      return { patch: { preset }, said: (s) => `Presets saved: ${describePlan(s.preset ?? preset)}. A /buy without tp= and sl= uses them after you confirm.` };
    }
    case 'mode': {
      const mode = value?.toLowerCase();
      if (rest.length !== 1 || (mode !== 'paper' && mode !== 'live')) throw new UserError('The mode is paper or live.');
      return {
        patch: { mode },
        said: () => (mode === 'live' ? 'Mode is now live: buys and sells use real SOL from the wallet.' : 'Mode is now paper: trades are simulated with paper SOL.'),
      };
    }
    case 'limit':
    case 'limits':
      return { patch: limitPatch(ctx, rest[0], rest[1]), said: () => `Limits now: ${trading.describeLimits(ctx.key)}` };
    default:
      throw new UserError(`I do not know that setting. Use one of: ${HOW.join(', ')}.`);
  }
}

const tradingSettings: Handler = {
  name: 'trading-settings',
  priority: 320,
  commands: [
    {
      name: 'settings',
      description: 'Trading settings: mode, slippage, priority fee, TP/SL presets, limits',
      role: 'user',
      effect: 'read',
      usage: '[slippage|priority|preset|mode|limit <value>]',
    },
  ],
  async handle(ctx, next) {
    if (ctx.command?.name !== 'settings') return next();
    const words = ctx.command.args.split(/\s+/).filter(Boolean);
    if (words.length === 0) {
      await ctx.reply(settingsView(ctx));
      return;
    }
    const { patch, said } = change(ctx, words);
    const saved = ctx.services.trading.updateSettings(ctx.key, patch);
    await ctx.reply(said(saved));
  },
};

export default tradingSettings;
