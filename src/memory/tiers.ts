import type { MemoryConfig } from '../config.js';
import type { Tier } from './store.js';

/**
 * How long a memory lives. Session: a fixed time from when it was made (what matters today).
 * Short: from when it was made or last recalled, so what keeps coming up stays. Long: no expiry.
 */
export function expiresAt(tier: Tier, from: number, c: Pick<MemoryConfig, 'sessionTtlMs' | 'shortTtlMs'>): number | null {
  switch (tier) {
    case 'session':
      return from + c.sessionTtlMs;
    case 'short':
      return from + c.shortTtlMs;
    case 'long':
      return null;
  }
}

export const TIER_LABEL: Record<Tier, string> = { session: 'today', short: 'short-term', long: 'long-term' };
