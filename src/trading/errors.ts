/**
 * Typed failures of the trading clients. `kind` says what a caller may do about it;
 * `userMessage` is one sentence safe to show in chat (no URL, no key, no raw body).
 */

export type VenueErrorKind =
  /** 429 or our own budget is exhausted; `retryAfterMs` says when to try again. */
  | 'rate_limited'
  /** Network error, timeout or 5xx: the service is down or slow. */
  | 'unavailable'
  /** The venue has no route / does not trade this token. */
  | 'no_route'
  /** The venue refused the request as malformed (4xx other than 429). */
  | 'rejected'
  /** The answer did not have the shape we expect. */
  | 'bad_response';

export class VenueError extends Error {
  override readonly name = 'VenueError';
  constructor(
    readonly service: string,
    readonly kind: VenueErrorKind,
    readonly userMessage: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(`${service}: ${kind}: ${userMessage}`, options);
  }
}

export type RpcErrorKind = 'unavailable' | 'rpc_error' | 'bad_response';

/** Solana JSON-RPC failed on every configured URL, or answered with a JSON-RPC error. */
export class RpcError extends Error {
  override readonly name = 'RpcError';
  constructor(readonly kind: RpcErrorKind, message: string, readonly code?: number, options?: { cause?: unknown }) {
    super(message, options);
  }
}
