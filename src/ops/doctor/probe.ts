/**
 * One bounded HTTP request for a doctor check: a timeout, no retry (doctor reports, it does not
 * insist), and a failure described without the URL, which may carry a token (Telegram's does).
 */
import { parseJsonOrUndefined } from '../../core/json.js';

export type ProbeResult = { ok: true; status: number; json: unknown } | { ok: false; reason: string };

export async function probeJson(url: string, opts: { timeoutMs: number; method?: 'GET' | 'POST'; headers?: Record<string, string> }): Promise<ProbeResult> {
  const signal = AbortSignal.timeout(opts.timeoutMs);
  let res: Response;
  try {
    res = await fetch(url, { method: opts.method ?? 'GET', headers: { accept: 'application/json', ...opts.headers }, signal });
  } catch (err) {
    if (signal.aborted) return { ok: false, reason: `no answer within ${Math.round(opts.timeoutMs / 1000)} s` };
    const code = (err as { cause?: { code?: string } }).cause?.code;
    return { ok: false, reason: code ? `cannot connect (${code})` : 'cannot connect' };
  }
  let text = '';
  try {
    text = await res.text();
  } catch {
    return { ok: false, reason: signal.aborted ? `no answer within ${Math.round(opts.timeoutMs / 1000)} s` : 'the answer was cut off' };
  }
  return { ok: true, status: res.status, json: parseJsonOrUndefined(text) };
}
