import { bold, plain, type Span } from '../core/message.js';
import { formatDuration, truncate } from '../core/render.js';
import type { Memory } from './store.js';
import { TIER_LABEL } from './tiers.js';

/** Memories as a person reads them in chat: id, tier, age or time left, the text. */

/** A memory's text in a list: long ones are cut (the whole text is what /memory search finds). */
const LIST_CHARS = 160;

export function memoryLineText(m: Memory, now: number): string {
  const life = m.expiresAt === null ? `${formatDuration(now - m.createdAt)} old` : `${formatDuration(m.expiresAt - now)} left`;
  return `#${m.id} · ${TIER_LABEL[m.tier]} · ${life}\n${truncate(m.text, LIST_CHARS)}`;
}

export function memoryListText(title: string, memories: readonly Memory[], now: number, footer?: string): Span[] {
  const spans: Span[] = [bold(title)];
  for (const m of memories) spans.push(plain(`\n\n${memoryLineText(m, now)}`));
  if (footer) spans.push(plain(`\n\n${footer}`));
  return spans;
}

export function quoted(m: Memory): string {
  return `#${m.id} “${truncate(m.text, LIST_CHARS)}”`;
}

/** The answer to /remember (and to "remember that …" in chat). */
export function rememberedText(r: { memory: Memory; existed: boolean }): string {
  const m = r.memory;
  if (r.existed) return `I already remember that (${quoted(m)}, ${TIER_LABEL[m.tier]}).`;
  const until = m.tier === 'long' ? 'until you tell me to forget it' : m.tier === 'short' ? 'for a few weeks, longer if it keeps coming up' : 'for today';
  return `Noted, ${until}: ${quoted(m)}. /forget ${m.id} to undo, /memory to see everything I remember.`;
}
