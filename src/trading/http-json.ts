/**
 * The one fetch wrapper the trading clients (Jupiter, bags.fm) share, so every call gets the same
 * timeout, the same retry policy and the same typed failures.
 *
 * - Network errors, timeouts and 5xx are retried `retries` more times with exponential backoff and
 *   jitter, then become VenueError 'unavailable'.
 * - 429 is never retried here: it becomes 'rate_limited' at once, with the server's Retry-After, so
 *   the caller's RateBudget can stop every other call made with the same key.
 * - 2xx and 4xx answers come back as `{ status, json }`; the client reads the venue's own error body.
 *   A 2xx body that is not JSON is 'bad_response'; a 4xx body that is not JSON comes back as
 *   `json: undefined` (a proxy's HTML 404 page says "wrong request", not "bad answer").
 *
 * Error messages and causes never carry the URL, query string, headers or body: URLs and headers
 * may carry API keys, and bodies may echo them.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { z } from 'zod';
import { VenueError } from './errors.js';
import { parseJsonOrUndefined } from '../core/json.js';

/** What requestJson needs from a RateBudget (see rate-budget.ts); kept structural for tests. */
export interface RequestBudget {
  take(signal?: AbortSignal, maxWaitMs?: number): Promise<void>;
  penalize(retryAfterMs: number): void;
}

export interface JsonRequest {
  /** Machine name carried by VenueError.service, e.g. 'jupiter'. */
  service: string;
  /** Name a person reads in the error message, e.g. 'Jupiter'; defaults to `service`. */
  label?: string;
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Sent as JSON when present. */
  body?: unknown;
  /** Per attempt, including reading the body. */
  timeoutMs: number;
  /** Extra attempts after a network error, timeout or 5xx (never after a 4xx or 429). */
  retries: number;
  fetch?: typeof fetch;
  signal?: AbortSignal;
  /** Waits between attempts; tests inject a no-op. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** First backoff before jitter; doubles each retry (default 300 ms, capped at 5 s). */
  backoffMs?: number;
  /** In [0, 1); jitter source, injectable for tests. */
  random?: () => number;
  /** When given, one token is taken before every attempt (retries are real requests too), and a 429
   *  penalizes the budget so every call sharing the key backs off. */
  budget?: RequestBudget;
  /** Longest wait for a budget token before giving up with 'rate_limited' (default 2 s). */
  maxBudgetWaitMs?: number;
}

export interface JsonAnswer {
  status: number;
  json: unknown;
}

const DEFAULT_RETRY_AFTER_MS = 10_000;
const MAX_RETRY_AFTER_MS = 15 * 60_000;
const MAX_BACKOFF_MS = 5_000;

/** One attempt's retryable failure, described without the URL. */
type Retryable = { kind: 'timeout' } | { kind: 'network'; code?: string } | { kind: 'http'; status: number };

export async function requestJson(opts: JsonRequest): Promise<JsonAnswer> {
  const label = opts.label ?? opts.service;
  const doFetch = opts.fetch ?? globalThis.fetch;
  const sleep = opts.sleep ?? sleepFor;
  const random = opts.random ?? Math.random;
  const attempts = 1 + Math.max(0, Math.floor(opts.retries));
  const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }

  let last: Retryable = { kind: 'network' };
  for (let attempt = 1; attempt <= attempts; attempt++) {
    opts.signal?.throwIfAborted();
    if (attempt > 1) {
      const base = Math.min(MAX_BACKOFF_MS, (opts.backoffMs ?? 300) * 2 ** (attempt - 2));
      await sleep(Math.round(base * (0.5 + random())), opts.signal);
      opts.signal?.throwIfAborted();
    }
    if (opts.budget) await takeBudget(opts.budget, opts, label);

    const outcome = await attemptOnce(doFetch, opts, headers, body);
    if ('retryable' in outcome) {
      last = outcome.retryable;
      continue;
    }
    const { response, text } = outcome;
    if (response.status === 429) {
      const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
      opts.budget?.penalize(retryAfterMs);
      throw new VenueError(opts.service, 'rate_limited', rateLimitedMessage(label, retryAfterMs), retryAfterMs, {
        cause: new Error(`HTTP 429, retry after ${retryAfterMs} ms`),
      });
    }
    const json = parseJsonOrUndefined(text);
    if (json === undefined && response.status < 400) {
      throw new VenueError(opts.service, 'bad_response', `${label} sent an answer Jarvis could not read; try again later.`, undefined, {
        cause: new Error(`HTTP ${response.status} with a body that is not JSON (${text.length} chars)`),
      });
    }
    return { status: response.status, json };
  }
  throw new VenueError(opts.service, 'unavailable', `${label} is not answering right now; try again in a minute.`, undefined, {
    cause: new Error(`${describe(last)} (${attempts} attempt${attempts === 1 ? '' : 's'})`),
  });
}

/** A budget refusal is re-labelled with this service's names, since one budget serves a whole client. */
async function takeBudget(budget: RequestBudget, opts: JsonRequest, label: string): Promise<void> {
  try {
    await budget.take(opts.signal, opts.maxBudgetWaitMs ?? 2_000);
  } catch (err) {
    if (err instanceof VenueError && err.kind === 'rate_limited') {
      const wait = err.retryAfterMs ?? DEFAULT_RETRY_AFTER_MS;
      throw new VenueError(opts.service, 'rate_limited', rateLimitedMessage(label, wait), wait, { cause: new Error(`own request budget: next slot in ${wait} ms`) });
    }
    throw err;
  }
}

type Outcome = { response: Response; text: string } | { retryable: Retryable };

/** One request with its own timeout; the caller's abort is rethrown as is, never retried. */
async function attemptOnce(doFetch: typeof fetch, opts: JsonRequest, headers: Record<string, string>, body: string | undefined): Promise<Outcome> {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, opts.timeoutMs);
  const onAbort = (): void => controller.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const response = await doFetch(opts.url, { method: opts.method, headers, body, signal: controller.signal });
    if (response.status >= 500) {
      // Not awaited: some bodies (and msw's mocked ones) only settle the cancel once fully read.
      response.body?.cancel().catch(() => undefined);
      return { retryable: { kind: 'http', status: response.status } };
    }
    // The timeout still runs while the body streams in: a server that stalls mid-body is "slow" too.
    const text = await response.text();
    return { response, text };
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason;
    if (timedOut) return { retryable: { kind: 'timeout' } };
    return { retryable: { kind: 'network', code: errorCode(err) } };
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onAbort);
  }
}

/** Retry-After is seconds (or, rarely, an HTTP date); anything unreadable means 10 s. */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number {
  if (header === null || header.trim() === '') return DEFAULT_RETRY_AFTER_MS;
  const seconds = Number(header.trim());
  let ms: number;
  if (Number.isFinite(seconds)) ms = Math.ceil(seconds * 1000);
  else {
    const at = Date.parse(header);
    if (!Number.isFinite(at)) return DEFAULT_RETRY_AFTER_MS;
    ms = at - now;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms));
}

export function rateLimitedMessage(label: string, retryAfterMs: number): string {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return `${label} is limiting how often Jarvis may ask; try again in ${seconds} second${seconds === 1 ? '' : 's'}.`;
}

/** undici wraps the socket error: `TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } })`. */
function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function describe(r: Retryable): string {
  switch (r.kind) {
    case 'timeout':
      return 'timed out';
    case 'http':
      return `HTTP ${r.status}`;
    case 'network':
      return r.code ? `network error ${r.code}` : 'network error';
  }
}

function sleepFor(ms: number, signal?: AbortSignal): Promise<void> {
  return delay(ms, undefined, signal ? { signal } : undefined);
}

/** u64 amounts arrive as integer strings. */
export const intString = z.string().regex(/^\d+$/).transform((s) => BigInt(s));

/** Numbers some answers send as strings (priceImpactPct). */
export const decimalString = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) {
    ctx.addIssue({ code: 'custom', message: 'not a finite number' });
    return z.NEVER;
  }
  return n;
});

/** An answer of the wrong shape: the person gets one sentence, the log the count of zod issues. */
export function badResponse(service: string, label: string, what: string, issues: number): VenueError {
  return new VenueError(service, 'bad_response', `${label} sent an answer Jarvis could not read; try again later.`, undefined, {
    cause: new Error(`${what}: unexpected shape (${issues} issue${issues === 1 ? '' : 's'})`),
  });
}
