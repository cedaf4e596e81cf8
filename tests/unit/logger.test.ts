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
    const out = lines.join('');
    expect(out).not.toContain('very-secret');
    expect(out).toContain('[REDACTED]');
    expect(lines).toHaveLength(3);
  });
});
