import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/database.js';
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

function engine(flow: Flow) {
  const db = openDatabase(join(mkdtempSync(join(tmpdir(), 'jarvis-fe-')), 'j.db'));
  migrate(db, readMigrations(join(projectRoot(), 'migrations')));
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

  it('keeps button data within 64 bytes and refuses what does not fit', () => {
    const data = flowButtonData('a'.repeat(16), 'b'.repeat(16), 'abc123', 'c'.repeat(16));
    expect(Buffer.byteLength(data)).toBeLessThanOrEqual(64);
    expect(parseFlowButton(data)).toEqual({ flow: 'a'.repeat(16), step: 'b'.repeat(16), run: 'abc123', value: 'c'.repeat(16) });
    expect(() => flowButtonData('pay', 'confirm', 'abc123', 'x'.repeat(17))).toThrow(/does not fit/);
    expect(() => flowButtonData('Pay!', 'confirm', 'abc123', 'yes')).toThrow(/does not fit/);
  });
});
