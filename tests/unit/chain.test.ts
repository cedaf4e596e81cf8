import { describe, expect, it } from 'vitest';
import { createChain } from '../../src/core/chain.js';
import type { Ctx, Handler } from '../../src/core/handler.js';
import { UserError } from '../../src/core/errors.js';
import errorBoundary from '../../handlers/error-boundary.js';
import { createLogger } from '../../src/core/logger.js';

/** A minimal ctx: the chain only needs reply, log and the mutable fields. */
function fakeCtx(replies: string[]): Ctx {
  return {
    inbound: { channel: 'telegram', chatId: '1', chatKind: 'private', userId: '1', displayName: 'T', text: 'x', receivedAt: 0 },
    identity: { channel: 'telegram', userId: '1' },
    key: 'telegram:1',
    role: 'admin',
    log: createLogger({ level: 'silent' }),
    services: {} as Ctx['services'],
    reply: async (out) => {
      replies.push(typeof out === 'string' ? out : Array.isArray(out) ? out.map((s) => s.text).join('') : String(out.text));
      return undefined;
    },
    edit: async () => undefined,
    answerCallback: async () => undefined,
  };
}

const link = (name: string, priority: number, order: string[], end = false): Handler => ({
  name,
  priority,
  async handle(_ctx, next) {
    order.push(name);
    if (!end) await next();
  },
});

describe('the chain', () => {
  it('runs handlers by priority whatever order they were given in, and records who ended it', async () => {
    const order: string[] = [];
    const chain = createChain([link('c', 300, order, true), link('a', 10, order), link('z', 900, order), link('b', 20, order)]);
    const ctx = fakeCtx([]);
    await chain.run(ctx);
    expect(order).toEqual(['a', 'b', 'c']);
    expect(ctx.handledBy).toBe('c');
  });

  it('refuses two handlers with one name', () => {
    expect(() => createChain([link('a', 1, []), link('a', 2, [])])).toThrow(/two handlers are named a/);
  });

  it('turns a UserError into its message and anything else into a reference, never a stack', async () => {
    const replies: string[] = [];
    const boom = (err: Error): Handler => ({ name: 'boom', priority: 100, handle: async () => Promise.reject(err) });
    await createChain([errorBoundary, boom(new UserError('Amount must be positive.'))]).run(fakeCtx(replies));
    const secret = new Error('connect ECONNREFUSED token=123456:SECRET');
    const ctx = fakeCtx(replies);
    await createChain([errorBoundary, boom(secret)]).run(ctx);
    expect(replies[0]).toBe('Amount must be positive.');
    expect(replies[1]).toMatch(/^Something went wrong \(ref [0-9a-f]{8}\)\. It has been logged\.$/);
    expect(replies[1]).not.toContain('SECRET');
    expect(ctx.outcome).toBe('error');
  });
});
