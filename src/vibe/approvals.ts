import type { Clock } from '../core/clock.js';
import { UserError } from '../core/errors.js';
import type { Approval, VibeStore } from './store.js';

/**
 * Risky tool calls wait here for the person: a row in vibe_approvals (so the answer is checked
 * against the database, never the button data), a waiter in memory that the button press, the
 * timeout or /vibe stop resolves. Whoever decides the row first wins; no answer in time is a deny.
 */

export type Decision = 'approved' | 'denied' | 'expired' | 'always';

export class Approvals {
  private readonly waiters = new Map<number, { resolve: (d: Decision) => void; sessionId: number }>();

  constructor(
    private readonly store: VibeStore,
    private readonly clock: Clock,
  ) {}

  /** Records the request, lets `show` present it, and resolves with the decision. */
  async ask(sessionId: number, userKey: string, kind: string, detail: string, timeoutMs: number, show: (a: Approval) => Promise<void>, signal?: AbortSignal): Promise<Decision> {
    const now = this.clock.now();
    const approval = this.store.addApproval(sessionId, userKey, kind, detail, now + timeoutMs, now);
    const decided = new Promise<Decision>((resolve) => this.waiters.set(approval.id, { resolve, sessionId }));
    const timer = setTimeout(() => this.settle(approval.id, 'expired'), timeoutMs);
    const onAbort = () => this.settle(approval.id, 'denied');
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      await show(approval);
      return await decided;
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      this.waiters.delete(approval.id);
    }
  }

  /** A button press. Only the asker may answer, and only while the request is pending. */
  answer(userKey: string, id: number, choice: 'ok' | 'no' | 'all'): string {
    const a = this.store.approval(id);
    if (!a || a.userKey !== userKey) throw new UserError('That approval is not yours to answer.');
    if (a.state !== 'pending' || !this.waiters.has(id)) throw new UserError(a.state === 'expired' ? 'This request timed out and was denied.' : 'This request was already answered.');
    const decision: Decision = choice === 'ok' ? 'approved' : choice === 'all' ? 'always' : 'denied';
    if (!this.settle(id, decision)) throw new UserError('This request was already answered.');
    return decision === 'denied' ? 'Denied.' : decision === 'always' ? 'Allowed, and allowed from now on for this session.' : 'Allowed.';
  }

  /** /vibe stop: whatever is waiting in this session is denied. */
  denyAll(sessionId: number): void {
    for (const [id, w] of this.waiters) if (w.sessionId === sessionId) this.settle(id, 'denied');
  }

  private settle(id: number, decision: Decision): boolean {
    if (!this.store.decide(id, decision, this.clock.now())) return false;
    this.waiters.get(id)?.resolve(decision);
    return true;
  }
}
