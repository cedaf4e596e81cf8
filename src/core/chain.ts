import type { Ctx, Handler } from './handler.js';

export interface Chain {
  readonly handlers: readonly Handler[];
  run(ctx: Ctx): Promise<void>;
}

/** Orders handlers by priority and composes them middleware-style. */
export function createChain(handlers: readonly Handler[]): Chain {
  const sorted = [...handlers].sort((a, b) => a.priority - b.priority || a.name.localeCompare(b.name));
  const names = new Set<string>();
  for (const h of sorted) {
    if (names.has(h.name)) throw new Error(`two handlers are named ${h.name}`);
    names.add(h.name);
  }
  const dispatch = async (ctx: Ctx, i: number): Promise<void> => {
    const h = sorted[i];
    if (!h) return;
    let calledNext = false;
    await h.handle(ctx, () => {
      if (calledNext) return Promise.reject(new Error(`handler ${h.name} called next() twice`));
      calledNext = true;
      return dispatch(ctx, i + 1);
    });
    if (!calledNext && ctx.handledBy === undefined) ctx.handledBy = h.name;
  };
  return { handlers: sorted, run: (ctx) => dispatch(ctx, 0) };
}

/** Checks a default export from handlers/ really is a Handler. */
export function isHandler(x: unknown): x is Handler {
  const h = x as Handler;
  return !!h && typeof h.name === 'string' && typeof h.priority === 'number' && Number.isFinite(h.priority) && typeof h.handle === 'function';
}
