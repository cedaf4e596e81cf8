import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { MemoryConfig } from '../config.js';
import { UserError } from '../core/errors.js';
import { cleanText, ftsMatch, normalText } from './query.js';
import { expiresAt } from './tiers.js';
import { fitBudget, formatForPrompt } from './prompt.js';
import type { Touches } from './touches.js';
import type { RememberRequest } from './remember-request.js';
import type { Memory, MemoryStore, Ranked, Source, Tier } from './store.js';

/**
 * What handlers, the chat handler, extraction and the cleanup job call for memories. Every
 * method takes the owner (`channel:userId`) and touches only that person's memories.
 */

export interface MemoryServiceDeps {
  store: MemoryStore;
  touches: Touches;
  clock: Clock;
  log: Logger;
  config: MemoryConfig;
}

/** Candidates ranked before the token budget picks from them. */
const RECALL_CANDIDATES = 50;

export class MemoryService {
  constructor(private readonly d: MemoryServiceDeps) {}

  get config(): MemoryConfig {
    return this.d.config;
  }

  /**
   * Keeps what a person asked to be remembered. The same text again is not stored twice: asked
   * with the same tier it is the memory already kept; with another tier it replaces that one.
   */
  remember(owner: string, req: RememberRequest, source: Source = 'explicit'): { memory: Memory; existed: boolean } {
    const text = this.checkedText(req.text);
    const same = this.sameText(owner, text);
    if (same && same.tier === req.tier) return { memory: same, existed: true };
    if (!same && this.count(owner) >= this.d.config.maxPerUser) {
      throw new UserError(`You have ${this.d.config.maxPerUser} memories, the most Jarvis keeps for one person. /forget some first (see /memory).`);
    }
    const next = same ? this.supersede(owner, same.id, text, req.tier, source) : this.add(owner, text, req.tier, source);
    if (!next) throw new UserError('That memory changed meanwhile; try again.');
    return { memory: next, existed: false };
  }

  /** Stores a new memory as is (limits are the caller's to check). */
  add(owner: string, text: string, tier: Tier, source: Source): Memory {
    const now = this.d.clock.now();
    return this.d.store.add({ owner, text, tier, source, expiresAt: expiresAt(tier, now, this.d.config) }, now);
  }

  /** Replaces `oldId` with a new version, keeping the old as history; undefined when it is not live any more. */
  supersede(owner: string, oldId: number, text: string, tier: Tier, source: Source): Memory | undefined {
    const now = this.d.clock.now();
    return this.d.store.supersede(oldId, { owner, text, tier, source, expiresAt: expiresAt(tier, now, this.d.config) }, now);
  }

  /** Marks a memory as no longer true, kept as history (pointing at `by`, a memory that now says it). */
  invalidate(owner: string, id: number, by?: number): boolean {
    return this.d.store.invalidate(owner, id, this.d.clock.now(), by ?? null);
  }

  get(owner: string, id: number): Memory | undefined {
    return this.d.store.get(owner, id, this.d.clock.now());
  }

  count(owner: string): number {
    return this.d.store.count(owner, this.d.clock.now());
  }

  /** Live memories, newest first. */
  list(owner: string, limit: number): { memories: Memory[]; total: number } {
    const now = this.d.clock.now();
    return { memories: this.d.store.list(owner, now, limit), total: this.d.store.count(owner, now) };
  }

  /** Memories matching `words`, most relevant first. A look, not a use: nothing is marked recalled. */
  search(owner: string, words: string, limit: number): Ranked[] {
    const match = ftsMatch(owner, words);
    return match ? this.d.store.search(owner, match, this.d.clock.now(), limit) : [];
  }

  /**
   * The memories most relevant to `text` that fit in `budgetTokens` of prompt, best first. Each
   * counts as recalled: its last-recalled time moves and a short one lives on (written in batches).
   */
  recall(owner: string, text: string, budgetTokens = this.d.config.recallTokens): Memory[] {
    const picked = fitBudget(this.search(owner, text, RECALL_CANDIDATES), budgetTokens);
    this.d.touches.add(picked.map((m) => m.id), this.d.clock.now());
    return picked;
  }

  /** recall() as the fenced block for a model's context ('' when nothing is relevant). */
  promptContext(owner: string, text: string): string {
    return formatForPrompt(this.recall(owner, text));
  }

  /** Deletes a memory and its history; the memory, or undefined when the owner has no such live one. */
  forget(owner: string, id: number): Memory | undefined {
    return this.d.store.forget(owner, id, this.d.clock.now());
  }

  /** Deletes every memory of `owner`; returns how many were live. */
  clear(owner: string): number {
    return this.d.store.clear(owner, this.d.clock.now());
  }

  /** Writes pending recalls now. */
  flush(): number {
    return this.d.touches.flush();
  }

  /** Writes pending recalls, then deletes expired memories (history included). */
  cleanup(): { touched: number; expired: number } {
    const touched = this.flush();
    return { touched, expired: this.d.store.deleteExpired(this.d.clock.now()) };
  }

  stats(): { tiers: Record<Tier, number>; owners: number; pendingRecalls: number } {
    return { ...this.d.store.stats(this.d.clock.now()), pendingRecalls: this.d.touches.size };
  }

  /** Stops the flush timer and writes what is pending. */
  close(): void {
    this.d.touches.close();
  }

  /** A live memory of `owner` with the same text, whatever the case, spacing or punctuation. */
  sameText(owner: string, text: string): Memory | undefined {
    const want = normalText(text);
    return this.search(owner, text, 10).find((m) => normalText(m.text) === want);
  }

  /** The text as stored; a UserError when there is none or it is too long. */
  checkedText(text: string): string {
    const clean = cleanText(text);
    if (clean === '') throw new UserError('There is nothing to remember in that.');
    if (clean.length > this.d.config.maxChars) throw new UserError(`That is too long to remember (${clean.length} characters; at most ${this.d.config.maxChars}). Say it shorter.`);
    return clean;
  }
}
