import { randomBytes } from 'node:crypto';

/** An error whose message is safe to show to the person who caused it. */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(message: string) {
    super(message);
  }
}

/**
 * Sending to the person failed (network, API refusal): the reply path itself is broken, so the
 * error boundary logs it and does not try to reply with the bad news.
 */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** A short id that ties a "Something went wrong" reply to a log line. */
export function errorRef(): string {
  return randomBytes(4).toString('hex');
}

/** The reply for a failure whose details stay in the log, tied to it by `ref`. */
export function somethingWentWrong(ref: string): string {
  return `Something went wrong (ref ${ref}). It has been logged.`;
}
