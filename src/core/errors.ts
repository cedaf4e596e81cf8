import { randomBytes } from 'node:crypto';

/** An error whose message is safe to show to the person who caused it. */
export class UserError extends Error {
  override readonly name = 'UserError';
  constructor(message: string) {
    super(message);
  }
}

/** A short id that ties a "Something went wrong" reply to a log line. */
export function errorRef(): string {
  return randomBytes(4).toString('hex');
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
