import type { Tier } from './store.js';

/**
 * What a person asked Jarvis to remember, from `/remember <text>` or a message that starts
 * "remember that …". An explicit memory is long-term unless its first words say otherwise:
 * "for today", "for now", "until tomorrow" (session); "for a while", "for a few weeks", "this month"
 * (short); "forever", "for good", "permanently" (long). The tier words are not kept in the text.
 */

export interface RememberRequest {
  text: string;
  tier: Tier;
}

const TIER_WORDS: [RegExp, Tier][] = [
  [/^(?:just\s+)?(?:for\s+today|for\s+now|for\s+the\s+day|for\s+this\s+session|today\s+only|until\s+tomorrow)\b[\s,:]*/i, 'session'],
  [/^(?:for\s+a\s+while|for\s+(?:a\s+few|the\s+next\s+few|some)\s+(?:days|weeks)|for\s+(?:this|a)\s+month|this\s+month|for\s+(?:this|a)\s+week|this\s+week)\b[\s,:]*/i, 'short'],
  [/^(?:forever|for\s+good|permanently|always)\b[\s,:]*/i, 'long'],
];

/** "Remember that …" as a message: optionally after "Jarvis," / "please"; questions are not requests. */
const PLAIN = /^\s*(?:(?:hey|ok|okay)[\s,]+)?(?:jarvis[\s,:]+)?(?:please[\s,]+)?remember\b\s*((?:(?!that\b)[^:\n]){0,40}?)\s*(?:\bthat\b\s*|:\s*)([\s\S]+)$/i;

/** The text and tier of `/remember`'s argument; undefined when nothing is left to remember. */
export function rememberRequestFrom(args: string): RememberRequest | undefined {
  let text = args.trim();
  let tier: Tier = 'long';
  for (const [re, t] of TIER_WORDS) {
    const m = re.exec(text);
    if (m) {
      tier = t;
      text = text.slice(m[0].length);
      break;
    }
  }
  text = text.replace(/^(?:that\b|:)\s*/i, '').trim();
  return /[\p{L}\p{N}]/u.test(text) ? { text, tier } : undefined;
}

/**
 * A free-text message that asks Jarvis to remember something ("remember that I take my coffee
 * black", "please remember for today: parking is on level 3"), or undefined for anything else,
 * including questions ("remember that film we saw?"). For the chat handler, before it asks a model.
 */
export function parseRememberRequest(message: string): RememberRequest | undefined {
  const m = PLAIN.exec(message);
  if (!m) return undefined;
  const between = m[1]!.trim();
  const rest = m[2]!.trim();
  if (rest.endsWith('?')) return undefined;
  if (between === '') return rememberRequestFrom(rest);
  // Only tier words may stand between "remember" and "that": "remember the day that …" is not a request.
  const req = rememberRequestFrom(`${between} ${rest}`);
  return req && req.text === rest.replace(/^(?:that\b|:)\s*/i, '').trim() ? req : undefined;
}
