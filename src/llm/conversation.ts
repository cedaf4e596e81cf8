import type { Db } from '../storage/database.js';
import type { ChatMessage } from './types.js';

/**
 * Free-text conversation per person and chat (table chat_turns), so context survives restarts.
 * Recent turns go back to the model verbatim, newest first until the token budget is spent
 * (about 4 characters a token); older ones are left out (the memory module keeps what mattered).
 */
export class Conversation {
  private readonly sql;

  constructor(private readonly db: Db) {
    this.sql = {
      add: db.prepare('INSERT INTO chat_turns (user_key, chat_id, role, text, at) VALUES (?, ?, ?, ?, ?)'),
      recent: db.prepare('SELECT role, text FROM chat_turns WHERE user_key = ? AND chat_id = ? ORDER BY id DESC LIMIT 200'),
      prune: db.prepare('DELETE FROM chat_turns WHERE at < ?'),
    };
  }

  /** The exchange, both turns or neither. */
  save(userKey: string, chatId: string, user: string, assistant: string, at: number): void {
    this.db.transaction(() => {
      this.sql.add.run(userKey, chatId, 'user', user, at);
      this.sql.add.run(userKey, chatId, 'assistant', assistant, at);
    })();
  }

  /** The latest turns that fit `budgetTokens`, oldest first, starting with a user turn. */
  recent(userKey: string, chatId: string, budgetTokens: number): ChatMessage[] {
    const rows = this.sql.recent.all(userKey, chatId) as { role: 'user' | 'assistant'; text: string }[];
    const out: ChatMessage[] = [];
    let left = budgetTokens * 4;
    for (const r of rows) {
      if (r.text.length > left) break;
      left -= r.text.length;
      out.push({ role: r.role, content: r.text });
    }
    out.reverse();
    while (out.length && out[0]!.role !== 'user') out.shift();
    return out;
  }

  /** Deletes turns older than `before` (past CHAT_RETENTION_DAYS); returns how many. */
  prune(before: number): number {
    return this.sql.prune.run(before).changes;
  }
}
