import type { CompleteText } from '../llm/types.js';
import type { Logger } from '../core/logger.js';
import { EXTRACTION_SYSTEM, extractionInput, parseExtraction, type Exchange, type Operation } from './extract-format.js';
import { cleanText, normalText, overlap } from './query.js';
import type { MemoryService } from './service.js';
import type { Memory } from './store.js';

/**
 * Memories a model finds in a conversation. The model sees the latest exchange and the notes
 * already kept that relate to it, and proposes operations; Jarvis decides what happens:
 *
 * - add: stored, unless a live memory already says it (word overlap >= DUPLICATE_OVERLAP with one
 *   of the closest FTS matches) or the person is at MEMORY_MAX_PER_USER.
 * - update: only a note it was shown; a new row replaces it and the old one is kept as history
 *   (superseded_by). If the new text is what another live memory already says, the old one is just
 *   invalidated, pointing at that one. The same text and tier again changes nothing.
 * - invalidate: only a note it was shown; kept as history with invalidated_at.
 * - Each note is changed at most once per exchange. Output that is not exactly the agreed JSON
 *   (extract-format.ts) changes nothing at all, nor does a failed model call.
 */

export const DUPLICATE_OVERLAP = 0.8;
/** Related notes shown to the model. */
const KNOWN_NOTES = 20;
const MAX_OUTPUT_TOKENS = 600;

export type Decision =
  | { op: 'added'; memory: Memory }
  | { op: 'updated'; from: number; memory: Memory }
  | { op: 'invalidated'; id: number; by?: number }
  | { op: 'ignored'; proposed: Operation; why: string };

export interface ExtractionReport {
  /** 'malformed': the answer was not the agreed JSON; 'failed': the model call failed. Nothing changed in either. */
  outcome: 'ok' | 'malformed' | 'failed';
  decisions: Decision[];
  error?: string;
}

export interface ExtractDeps {
  memory: MemoryService;
  complete: CompleteText;
  log?: Logger;
}

export async function extractMemories(d: ExtractDeps, owner: string, exchange: Exchange, opts: { signal?: AbortSignal } = {}): Promise<ExtractionReport> {
  const known = d.memory.search(owner, `${exchange.user}\n${exchange.assistant}`, KNOWN_NOTES);
  let answer: string;
  try {
    answer = await d.complete(owner, EXTRACTION_SYSTEM, extractionInput(exchange, known), { maxTokens: MAX_OUTPUT_TOKENS, ...(opts.signal ? { signal: opts.signal } : {}) });
  } catch (err) {
    d.log?.warn({ err, user: owner }, 'memory extraction: model call failed');
    return { outcome: 'failed', decisions: [], error: err instanceof Error ? err.message : String(err) };
  }
  const parsed = parseExtraction(answer);
  if (!parsed) {
    d.log?.warn({ user: owner, chars: answer.length }, 'memory extraction: answer was not the agreed JSON; nothing changed');
    return { outcome: 'malformed', decisions: [] };
  }
  const shown = new Set(known.map((m) => m.id));
  const changed = new Set<number>();
  const decisions = parsed.memories.map((op) => decide(d.memory, owner, op, shown, changed));
  const summary = decisions.reduce<Record<string, number>>((acc, x) => ({ ...acc, [x.op]: (acc[x.op] ?? 0) + 1 }), {});
  d.log?.info({ user: owner, ...summary }, 'memory extraction');
  return { outcome: 'ok', decisions };
}

/** Carries out one proposed operation, or says why not. */
function decide(memory: MemoryService, owner: string, op: Operation, shown: ReadonlySet<number>, changed: Set<number>): Decision {
  const ignore = (why: string): Decision => ({ op: 'ignored', proposed: op, why });
  if (op.action !== 'add') {
    if (!shown.has(op.id)) return ignore('not one of the notes shown');
    if (changed.has(op.id)) return ignore('already changed in this exchange');
  }
  if (op.action === 'invalidate') {
    if (!memory.invalidate(owner, op.id)) return ignore('no longer live');
    changed.add(op.id);
    return { op: 'invalidated', id: op.id };
  }
  const text = cleanText(op.text);
  if (text === '' || text.length > memory.config.maxChars) return ignore('empty or too long');
  const duplicate = (exceptId?: number) => memory.search(owner, text, 5).find((m) => m.id !== exceptId && overlap(text, m.text) >= DUPLICATE_OVERLAP);
  if (op.action === 'add') {
    const dup = duplicate();
    if (dup) return ignore(`already known as #${dup.id}`);
    if (memory.count(owner) >= memory.config.maxPerUser) return ignore('memory limit reached');
    const added = memory.add(owner, text, op.tier, 'extracted');
    changed.add(added.id);
    return { op: 'added', memory: added };
  }
  const old = memory.get(owner, op.id);
  if (!old) return ignore('no longer live');
  const tier = op.tier ?? old.tier;
  if (normalText(text) === normalText(old.text) && tier === old.tier) return ignore('unchanged');
  const dup = duplicate(old.id);
  if (dup) {
    if (!memory.invalidate(owner, old.id, dup.id)) return ignore('no longer live');
    changed.add(old.id);
    return { op: 'invalidated', id: old.id, by: dup.id };
  }
  const next = memory.supersede(owner, old.id, text, tier, 'extracted');
  if (!next) return ignore('no longer live');
  changed.add(old.id).add(next.id);
  return { op: 'updated', from: old.id, memory: next };
}
