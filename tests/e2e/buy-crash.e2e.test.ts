import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { person, until, useHarness } from './harness.js';
import { FakeMarket } from '../fakes/market.js';
import { serveHandlers, type ServedHandlers } from '../fakes/msw-http-server.js';
import { EXPIRED_BUTTON } from '../../handlers/conversation.js';
import { INTERRUPTED_BUY } from '../../conversations/buy.js';

/**
 * The built daemon, killed with SIGKILL after a confirmed buy committed but before the person heard
 * about it (its reply is held by the fake Bot API). The person, told nothing, presses Confirm again
 * on the same card: it must not buy a second time. Found by the crash drill (tests/drills/).
 */

const GUS = person(1004, 'Gus');
const MINT = 'AaaaBbbbCcccDdddEeeeFfffGgggHhhhJjjjKkkkLmno';

let served: ServedHandlers | undefined;
afterEach(async () => {
  await served?.close();
  served = undefined;
});

/** Positions in `states`. */
function positions(dataDir: string, ...states: string[]): number {
  const db = new Database(join(dataDir, 'jarvis.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare(`SELECT COUNT(*) AS n FROM positions WHERE state IN (${states.map(() => '?').join(', ')})`).get(...states) as { n: number }).n;
  } finally {
    db.close();
  }
}

describe('a crash in the middle of a confirmed buy', () => {
  const harness = useHarness();

  it('SIGKILL after the buy, before its reply: pressing the same Confirm again buys nothing, and the person is told to check', async () => {
    const h = harness();
    const market = new FakeMarket();
    market.setToken(MINT, { usdPrice: 0.015, decimals: 6 });
    served = await serveHandlers((url) => market.handlers({ jupiterUrl: `${url}/jup`, bagsUrl: `${url}/bags/api/v1` }));
    const env = { JARVIS_ADMINS: `telegram:${GUS.id}`, JUPITER_API_URL: `${served.url}/jup`, JARVIS_LOG_LEVEL: 'info' };
    await h.start(env);
    await h.ask(GUS, '/buy');
    await h.ask(GUS, MINT);
    await h.ask(GUS, '0.01');
    expect(await h.ask(GUS, 'tp=100 sl=50')).toContain('Confirm this paper buy');

    // The fill's reply never arrives: the daemon dies after buying, before the flow is closed.
    h.fake.faults = (method, params) => (method === 'sendMessage' && String(params.text).includes('Bought') ? { kind: 'timeout', ms: 30_000 } : undefined);
    h.press(GUS, 'Confirm', 'Confirm this paper buy');
    await until(() => positions(h.dataDir, 'open') === 1, 'the buy to go through');
    await h.daemon!.stop('SIGKILL');
    h.fake.faults = undefined;

    await h.start(env);
    await h.waitForText(GUS.id, INTERRUPTED_BUY);
    const again = h.press(GUS, 'Confirm', 'Confirm this paper buy');
    expect(String((await h.waitForAnswer(again.queryId)).params.text ?? '')).toBe(EXPIRED_BUTTON);
    expect(await h.ask(GUS, '/whoami')).toMatch(/^You are Gus/); // anything the press did has been sent by now
    expect(positions(h.dataDir, 'pending', 'open', 'exiting', 'closed')).toBe(1);
    expect(h.count(GUS.id, 'Bought')).toBe(0);
    expect(h.daemon!.logs.some((l) => l.msg === 'flows reconciled' && l.ended === 1)).toBe(true);
  });
});
