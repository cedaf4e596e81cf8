/** Small, channel-neutral formatting for replies. */

/**
 * At most `max` characters, cut between code points (never half an emoji: Telegram rejects
 * text with a lone surrogate), with an ellipsis when something was cut.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const points = Array.from(text);
  return points.length <= max ? text : points.slice(0, Math.max(0, max - 1)).join('') + '…';
}

const isHigh = (c: number) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;

/**
 * The first `max` UTF-16 units of `text` (the unit APIs count in), never ending inside a surrogate
 * pair: half an emoji is a lone surrogate, which model APIs refuse and chat apps garble.
 */
export function headUnits(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = max > 0 && isHigh(text.charCodeAt(max - 1)) ? max - 1 : max;
  return text.slice(0, Math.max(0, end));
}

/** The last `max` UTF-16 units of `text`, never starting inside a surrogate pair. */
export function tailUnits(text: string, max: number): string {
  if (text.length <= max) return text;
  let start = text.length - Math.max(0, max);
  if (start < text.length && isLow(text.charCodeAt(start))) start++;
  return text.slice(start);
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function formatAgo(then: number, now: number): string {
  return `${formatDuration(now - then)} ago`;
}

export function formatTime(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z';
}
