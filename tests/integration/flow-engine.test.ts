import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../src/storage/database.js';
import { migrate, readMigrations } from '../../src/storage/migrations.js';
import { projectRoot } from '../../src/core/paths.js';
import { FlowEngine, flowButtonData, parseFlowButton, type Flow } from '../../src/core/flows.js';
import { ManualClock } from '../../src/core/clock.js';
import type { Ctx } from '../../src/core/handler.js';

/** A flow whose acting step waits on a gate, so a test can act while it runs. */
function gatedFlow() {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const acted: string[] = [];
  const flow: Flow = {
    name: 'pay',
    role: 'user',
    effect: 'act',
    steps: {
      async confirm(_ctx, input) {
        acted.push(input.kind === 'text' ? input.text : input.value);
        await gate;
        if (input.kind === 'text' && input.text === 'fail') throw new Error('reply failed after acting');
        return { done: true };
      },
    },
  };
  return { flow, release, acted };
}

function database(): Db {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'jarvis-fe-')), 'j.db'));
  migrate(db, readMigrations(join(projectRoot(), 'migrations')));
  return db;
}

function engine(flow: Flow, db = database()) {
  return new FlowEngine(db, [flow], 60_000, new ManualClock());
}

const ctx = { inbound: { channel: 'telegram', chatId: '1', userId: '1' } } as unknown as Ctx;

describe('FlowEngine', () => {
  it('will not cancel a step that is already acting, and says so', async () => {
    const { flow, release, acted } = gatedFlow();
    const flows = engine(flow);
    flows.start(ctx, 'pay', 'confirm');
    const running = flows.advance(ctx, flows.active(ctx)!, { kind: 'text', text: 'yes' });
    expect(flows.cancel(ctx)).toEqual({ flow: 'pay', running: true });
    release();
    expect(await running).toBe(true);
    expect(acted).toEqual(['yes']);
    expect(flows.cancel(ctx)).toEqual({ flow: undefined, running: false });
  });

  it('ends the flow when a step fails after acting, so a second press cannot act again', async () => {
    const { flow, release, acted } = gatedFlow();
    const flows = engine(flow);
    flows.start(ctx, 'pay', 'confirm');
    release();
    await expect(flows.advance(ctx, flows.active(ctx)!, { kind: 'text', text: 'fail' })).rejects.toThrow('reply failed');
    expect(flows.active(ctx)).toBeUndefined();
    expect(acted).toEqual(['fail']);
  });

  it('at start, ends a flow whose acting (once) step was running when Jarvis died, telling the person; other steps resume', async () => {
    const { flow } = gatedFlow();
    const pay: Flow = { ...flow, steps: { ...flow.steps, ask: async () => ({ next: 'confirm', data: {} }) }, once: { confirm: 'It may have gone through: check.' } };
    const db = database();
    const dead = engine(pay, db);
    const other = { inbound: { channel: 'telegram', chatId: '2', userId: '2' } } as unknown as Ctx;
    dead.start(ctx, 'pay', 'confirm');
    dead.start(other, 'pay', 'ask');
    // Both steps start and never finish: the process dies while they run.
    void dead.advance(ctx, dead.active(ctx)!, { kind: 'choice', value: 'yes' });
    const gate = new Promise<never>(() => undefined);
    const stuck: Flow = { ...pay, steps: { ...pay.steps, ask: () => gate } };
    void engine(stuck, db).advance(other, dead.active(other)!, { kind: 'text', text: 'hi' });

    const told: [string, string, string][] = [];
    const next = engine(pay, db);
    expect(next.reconcile((...t) => told.push(t))).toEqual({ resumed: 1, ended: 1 });
    expect(told).toEqual([['telegram:1', '1', 'It may have gone through: check.']]);
    expect(next.active(ctx)).toBeUndefined(); // the same Confirm button now finds no flow: it cannot buy again
    expect(next.active(other)).toMatchObject({ flow: 'pay', step: 'ask' });
    expect(await next.advance(other, next.active(other)!, { kind: 'text', text: 'hi' })).toBe(true);
    expect(next.active(other)).toMatchObject({ step: 'confirm' });
    expect(next.reconcile(() => undefined)).toEqual({ resumed: 0, ended: 0 }); // a finished step leaves nothing to settle
  });

  it('refuses a once naming a step the flow does not have', () => {
    const { flow } = gatedFlow();
    expect(() => engine({ ...flow, once: { confrim: 'x' } })).toThrow(/once names confrim/);
  });

  it('keeps button data within 64 bytes and refuses what does not fit', () => {
    const data = flowButtonData('a'.repeat(16), 'b'.repeat(16), 'abc123', 'c'.repeat(16));
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(parseFlowButton(data)).toEqual({ flow: 'a'.repeat(16), step: 'b'.repeat(16), run: 'abc123', value: 'c'.repeat(16) });
    expect(() => flowButtonData('pay', 'confirm', 'abc123', 'x'.repeat(17))).toThrow(/does not fit/);
    expect(() => flowButtonData('Pay!', 'confirm', 'abc123', 'yes')).toThrow(/does not fit/);
  });
});
