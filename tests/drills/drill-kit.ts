/**
 * What the chat drills (telegram faults, bad input, access, soak) share: a seeded random source
 * (so a run repeats), the leak checks every reply goes through, and a daemon's memory and open
 * files from /proc. Quick or full comes from mode.ts (`JARVIS_DRILLS=full`, npm run drills).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { sleep } from '../e2e/harness.js';
import { drillSize, FULL } from './mode.js';

export { FULL };

/** The quick or the full figure. */
export const size = (quick: number, full: number): number => drillSize(quick, full);

/** A test's time limit: the quick one, or a generous one for the full run. */
export const budget = (quickMs: number, fullMs: number): number => (FULL ? fullMs : quickMs);

/** Seed from JARVIS_DRILL_SEED (to replay a failure), else the drill's own fixed seed. */
export function drillSeed(fallback: number): number {
  const s = Number(process.env.JARVIS_DRILL_SEED);
  return Number.isInteger(s) ? s : fallback;
}

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export class Rng {
  private state: number;
  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)]!;
  }
}

/** Prints one figure line, marked so it stands out in the test output. */
export function figure(line: string): void {
  console.log(`[drill] ${line}`);
}

/** The daemon's resident memory (VmRSS, KB) and open file descriptors, from /proc. */
export function procStats(pid: number): { rssKb: number; fds: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return { rssKb: rss ? Number(rss[1]) : NaN, fds: readdirSync(`/proc/${pid}/fd`).length };
}

export interface Leak {
  why: string;
  text: string;
}

/**
 * What must never reach a chat: a stack frame, an error's name, a source path, a temp or data
 * dir path, or any configured secret (each given whole, and the part after "id:" of a bot
 * token).
 */
export function leakScanner(secrets: readonly string[], paths: readonly string[] = []): (text: string) => Leak | undefined {
  const needles = secrets.filter((s) => s.length >= 6).flatMap((s) => (/^\d+:/.test(s) ? [s, s.split(':')[1]!] : [s]));
  return (text) => {
    if (/\n\s+at /.test(text)) return { why: 'stack trace', text };
    if (/\b\w*Error:/.test(text)) return { why: 'error name', text };
    if (/\/(src|dist|node_modules)\//.test(text) || /\.[jt]s:\d+/.test(text)) return { why: 'source path', text };
    for (const p of paths) if (p && text.includes(p)) return { why: `path ${p}`, text };
    for (const s of needles) if (text.includes(s)) return { why: 'secret', text };
    return undefined;
  };
}

/** Half a surrogate pair: not Unicode text, and Telegram refuses a message that carries one. */
export const hasLoneSurrogate = (text: string): boolean => /\p{Cs}/u.test(text);

export { sleep };

/** The e2e harness's `until`, plus `detail()` in the failure message: what the drill saw by then. */
export async function until(check: () => boolean, what: string, timeoutMs: number, detail?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${detail()}` : ''}`);
    await sleep(25);
  }
}
