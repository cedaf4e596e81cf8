import type { Ctx, Handler } from './handler.js';

export interface Chain {
  readonly handlers: readonly Handler[];
  run(ctx: Ctx): Promise<void>;
}

/**
 * Orders handlers by priority and composes them middleware-style. One shared `next` walks the
 * sorted list (no closure or async wrapper per link: this is the per-message hot path), so a
 * handler must call `next` at most once. `ctx.handledBy` names the deepest handler reached: the one
 * that ended the chain, or the one that threw.
 */
export function createChain(handlers: readonly Handler[]): Chain {
  const sorted = [...handlers].sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name));
  const names = new Set<string>();
  for (const h of sorted) {
    if (names.has(h.name)) throw new Error(`two handlers are named ${h.name}`);
    names.add(h.name);
  }
  const run = (ctx: Ctx): Promise<void> => {
    let reached = -1;
    const next = (): Promise<void> => {
      const h = sorted[++reached];
      if (!h) return Promise.resolve();
      ctx.handledBy = h.name;
      return h.handle(ctx, next);
    };
    return next();
  };
  return { handlers: sorted, run };
}

/** Checks a default export from handlers/ really is a Handler. */
export function isHandler(x: unknown): x is Handler {
  const h = x as Handler;
  return !!h && typeof h.name === 'string' && typeof h.priority === 'number' && Number.isFinite(h.priority) && typeof h.handle === 'function';
}
