import { describe, expect, it } from 'vitest';
import { ADMIN, makeHarness } from '../support/app-harness.js';
import { plainText } from '../../src/core/message.js';

describe('when storage fails before the chain runs', () => {
  it('answers the button and says something went wrong with a reference, instead of going silent', async () => {
    const h = await makeHarness();
    try {
      h.app.services.db.exec('DROP TABLE inbound_ledger'); // stands in for a locked or full database
      const sent = await h.memory.inject({
        channel: 'telegram', chatId: String(ADMIN), chatKind: 'private', userId: String(ADMIN), displayName: 'Ada',
        callback: { queryId: 'q1', data: 'flow:x' }, updateId: '77', receivedAt: 0,
      });
      const texts = sent.map((s) => plainText(s.out.text));
      expect(texts).toHaveLength(1);
      expect(texts[0]).toMatch(/^Something went wrong \(ref [0-9a-f]{8}\)\. It has been logged\.$/);
      expect(texts[0]).not.toMatch(/inbound_ledger|no such table/);
    } finally {
      await h.close();
    }
  });
});
