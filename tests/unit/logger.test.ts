import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/core/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  return { lines, stream };
}

describe('logger', () => {
  it('never writes a secret: not in fields, messages or error stacks', () => {
    const token = '123456:AAH-very-secret-token';
    const { lines, stream } = capture();
    const log = createLogger({ level: 'info', secrets: [token], destination: stream });
    log.info({ token, config: { telegram: { token } }, headers: { authorization: `Bearer ${token}` } }, 'starting');
    log.info(`calling https://api.telegram.org/bot${token}/getMe`);
    log.error({ err: new Error(`request to /bot${token}/sendMessage failed`) }, 'failed');
    // grammY's HttpError wraps the fetch error, whose message carries the URL with the token.
    const inner = new Error(`request to https://api.telegram.org/bot${token}/getUpdates failed, reason: ECONNREFUSED`);
    const outer = Object.assign(new Error("Network request for 'getUpdates' failed!"), { error: inner, cause: inner });
    log.warn({ err: outer, url: `https://api.telegram.org/bot${token}/x`, nested: { deeper: [token] } }, 'getUpdates failed; retrying');
    const out = lines.join('');
    expect(out).not.toContain('very-secret');
    expect(out).toContain('[REDACTED]');
    expect(out).toContain('ECONNREFUSED'); // the useful part stays
    expect(lines).toHaveLength(4);
  });
});
