import { createHash } from 'node:crypto';

/**
 * How free text becomes a full-text query over one person's memories, and how matches are ranked.
 * Terms are letters and digits only, each quoted, so nothing a person types can reach FTS5's query
 * syntax; common words are dropped so "what do I like?" does not match every memory with "I".
 * Indexed words carry their owner's prefix (ownerPrefix), so each word's row list is one person's:
 * a query reads only the owner's rows, and BM25 weighs a word by how rare it is among them.
 */

/**
 * Ranking: BM25 (FTS5's bm25()) times a recency boost of up to RECENCY_WEIGHT
 * that halves every RECENCY_HALF_MS of age (hyperbolic, so plain SQL computes it). Relevance
 * dominates; among near-ties (within ~25%) the newer memory wins.
 */
export const RECENCY_WEIGHT = 0.25;
export const RECENCY_HALF_MS = 30 * 86_400_000;

/** More terms than this add cost and little precision: the rest of a long message is ignored. */
const MAX_TERMS = 16;

const STOPWORDS = new Set(
  `a about above after again against all am an and any are as at be because been before being below between both but by can
  could did do does doing down during each few for from further had has have having he her here hers herself him himself his
  how i if in into is it its itself just let me more most my myself no nor not now of off on once only or other our ours
  ourselves out over own same she should so some such than that the their theirs them themselves then there these they this
  those through to too under until up very was we were what when where which while who whom why will with would you your
  yours yourself yourselves im ive id dont doesnt didnt cant wont isnt arent wasnt s t d ll m re ve please jarvis tell know
  remember think also really`.split(/\s+/),
);

/** Lower-cased, accent-free words of `text` (letters and digits; apostrophes dropped), in order. */
export function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/['’]/g, '')
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

/** The words worth searching for: stopwords, one-letter words and repeats dropped. */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const w of words(text)) {
    if (w.length < 2 || STOPWORDS.has(w) || out.includes(w)) continue;
    out.push(w);
    if (out.length === MAX_TERMS) break;
  }
  return out;
}

const CONSONANTS = 'bcdfghjklmnpqrstvwxz';

/**
 * What every indexed word of `owner` starts with: 'q' and 8 consonants from a hash of the key.
 * Consonants only, so the porter stemmer treats a prefixed word as it would the bare word (its
 * rules count vowels). Two people sharing a prefix (about 1 in 10^10) would only rank each other's
 * rows: queries check the owner on the row as well.
 */
export function ownerPrefix(owner: string): string {
  const h = createHash('sha256').update(owner).digest();
  let p = 'q';
  for (let i = 0; i < 8; i++) p += CONSONANTS[h[i]! % CONSONANTS.length];
  return p;
}

/** The text as the FTS index holds it: every word with the owner's prefix. */
export function indexText(owner: string, text: string): string {
  const p = ownerPrefix(owner);
  return words(text).map((w) => p + w).join(' ');
}

/** `"<prefix>w1" OR "<prefix>w2" …`, or undefined when the text has no word worth searching for. */
export function ftsMatch(owner: string, text: string): string | undefined {
  const t = terms(text);
  if (t.length === 0) return undefined;
  const p = ownerPrefix(owner);
  return t.map((w) => `"${p}${w}"`).join(' OR ');
}

/** Share of words two texts have in common (Jaccard over terms): 1 for the same fact said alike. */
export function overlap(a: string, b: string): number {
  const x = new Set(terms(a));
  const y = new Set(terms(b));
  if (x.size === 0 && y.size === 0) return normalText(a) === normalText(b) ? 1 : 0;
  let both = 0;
  for (const w of x) if (y.has(w)) both++;
  return both / (x.size + y.size - both);
}

/** Whitespace collapsed, control characters removed: how a memory's text is stored. */
export function cleanText(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+/g, ' ').replace(/\s+/g, ' ').trim();
}

/** For comparing two texts as the same: case, punctuation and spacing ignored. */
export function normalText(text: string): string {
  return cleanText(text)
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}
