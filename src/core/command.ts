import type { ParsedCommand } from './handler.js';

const COMMAND_RE = /^\/([A-Za-z0-9_]{1,32})(?:@([A-Za-z0-9_]{1,64}))?(?:\s+([\s\S]*))?$/;

/**
 * Parses `/name@bot args`. A command addressed to another bot is not ours (undefined).
 * The name is lower-cased; the args are trimmed but otherwise untouched.
 */
export function parseCommand(text: string | undefined, botUsername?: string): ParsedCommand | undefined {
  if (!text || text[0] !== '/') return undefined;
  const m = COMMAND_RE.exec(text.trim());
  if (!m) return undefined;
  if (m[2] && botUsername && m[2].toLowerCase() !== botUsername.toLowerCase()) return undefined;
  return { name: m[1]!.toLowerCase(), args: (m[3] ?? '').trim() };
}
