import type { Job } from '../src/core/scheduler.js';
import type { Db } from '../src/storage/database.js';

/**
 * Nightly: writes pending memory recalls, deletes expired memories (old versions included) and
 * chat turns older than CHAT_RETENTION_DAYS (the LLM module's table, through its Conversation;
 * a database without that table yet has none to delete).
 */
function hasTable(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

const memoryCleanup: Job = {
  name: 'memory-cleanup',
  description: 'Write pending memory recalls, delete expired memories and old chat turns',
  schedule: (config) => ({ cron: config.memory.cleanupCron, missed: 'run-once' }),
  async run(s) {
    const { touched, expired } = s.memory.cleanup();
    const before = s.clock.now() - s.config.memory.chatRetentionDays * 86_400_000;
    const turns = hasTable(s.db, 'chat_turns') ? s.conversation.prune(before) : 0;
    return `recalls written=${touched} expired memories=${expired} chat_turns=${turns}`;
  },
};

export default memoryCleanup;
