/**
 * Typed failures of the Proxmox client. `kind` says what a caller may do about it; `userMessage` is
 * one plain sentence safe to show in chat. Neither `message`, `userMessage`, `detail` nor `cause`
 * ever carries the base URL, the token id's secret or a request header: errors end up in logs and
 * chats, and the token is a key to the whole cluster.
 */

import { UserError } from '../core/errors.js';

export type ClusterErrorKind =
  /** Network error, timeout, or 502/503/504 after the retries GETs get; also 595/596, Proxmox's own
   *  "the node behind me did not answer" (an offline cluster node). Try again later. */
  | 'unreachable'
  /** 401: the token id or secret is wrong, or the token expired or was deleted. */
  | 'auth'
  /** 403: the token is valid but lacks a privilege on that path. */
  | 'forbidden'
  /** 404, an unknown node, or a VM/CT that does not exist (on that node). */
  | 'not_found'
  /** The guest is locked (backup, migration, snapshot…) or another task holds its config lock. */
  | 'busy'
  /** The host's certificate failed verification (CA, pinned fingerprint, host name, not TLS at all).
   *  The request was never sent, so the token never left this machine. Never retried. */
  | 'tls'
  /** A 2xx answer Jarvis could not read (not JSON, not `{data}`, wrong shape). */
  | 'bad_response'
  /** Any other refusal: other 4xx, a 500 carrying Proxmox's own reason ("VM 100 not running"),
   *  501, or input Jarvis refuses before asking (an invalid node name or VM id, an action a guest
   *  type does not have). `detail` holds Proxmox's reason when there is one. */
  | 'rejected';

export interface ClusterErrorOptions {
  /** HTTP status when Proxmox answered (including 595/596). */
  status?: number;
  /** Proxmox's own reason, one line, trimmed and scrubbed of URLs and the token; for logs and for
   *  handlers that want to quote it. Already part of `userMessage` where it helps a person. */
  detail?: string;
  /** A POST whose answer never came, after the request may have left: it may have been carried out. */
  mayHaveActed?: boolean;
  cause?: unknown;
}

export class ClusterError extends Error {
  override readonly name = 'ClusterError';
  // `declare`: absent (not undefined) when not given, so logs and inspect stay clean.
  declare readonly status?: number;
  declare readonly detail?: string;
  declare readonly mayHaveActed?: boolean;

  constructor(
    readonly kind: ClusterErrorKind,
    readonly userMessage: string,
    options: ClusterErrorOptions = {},
  ) {
    super(`proxmox: ${kind}: ${userMessage}`, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.status !== undefined) this.status = options.status;
    if (options.detail !== undefined) this.detail = options.detail;
    if (options.mayHaveActed) this.mayHaveActed = true;
  }
}

export function isClusterError(err: unknown): err is ClusterError {
  return err instanceof ClusterError;
}

/**
 * A Proxmox failure as something a handler can show: ClusterError's one sentence becomes a
 * UserError; anything else passes through to the error boundary (logged, with a reference).
 */
export function phraseClusterError(err: unknown): unknown {
  return err instanceof ClusterError ? new UserError(err.userMessage) : err;
}
