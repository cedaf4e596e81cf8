import type { Db } from '../storage/database.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Config } from '../config.js';
import { MemoryStore } from './store.js';
import { Touches } from './touches.js';
import { MemoryService } from './service.js';

/** Builds the memory module; recalls are written back every MEMORY_TOUCH_FLUSH_SEC until close(). */
export function buildMemory(deps: { db: Db; clock: Clock; log: Logger; config: Config }): MemoryService {
  const c = deps.config.memory;
  const log = deps.log.child({ module: 'memory' });
  const store = new MemoryStore(deps.db);
  const touches = new Touches(store, c.shortTtlMs, log);
  touches.start(c.touchFlushMs);
  return new MemoryService({ store, touches, clock: deps.clock, log, config: c });
}
