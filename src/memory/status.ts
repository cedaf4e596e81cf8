import type { Services } from '../core/services.js';

/** The Memory line of /status: live memories by tier, for how many people, recalls not yet written. */
export function memoryStatus(s: Services): string[] {
  const { tiers, owners, pendingRecalls } = s.memory.stats();
  const total = tiers.session + tiers.short + tiers.long;
  const people = `${owners} ${owners === 1 ? 'person' : 'people'}`;
  const pending = pendingRecalls ? `; ${pendingRecalls} recall${pendingRecalls === 1 ? '' : 's'} to write` : '';
  return [`${total} ${total === 1 ? 'memory' : 'memories'} for ${people} (long ${tiers.long}, short ${tiers.short}, today ${tiers.session})${pending}`];
}
