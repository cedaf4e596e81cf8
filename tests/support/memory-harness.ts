import { afterEach, beforeEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config.js';
import { ManualClock } from '../../src/core/clock.js';
import { createLogger } from '../../src/core/logger.js';
import { projectRoot } from '../../src/core/paths.js';
import { openDatabase, type Db } from '../../src/storage/database.js';
import { migrate, readMigrations } from '../../src/storage/migrations.js';
import { buildMemory } from '../../src/memory/build.js';
import type { MemoryService } from '../../src/memory/service.js';

/** The memory service over a real, migrated SQLite file in a temp dir, with a clock the test moves. */
export interface MemoryHarness {
  memory: MemoryService;
  db: Db;
  clock: ManualClock;
  close(): void;
}

export const HOUR = 3_600_000;
export const ANN = 'telegram:111';
export const BOB = 'telegram:222';
export const DAY = 24 * HOUR;

export function makeMemoryHarness(env: Record<string, string> = {}): MemoryHarness {
  const dir = mkdtempSync(join(tmpdir(), 'jarvis-mem-'));
  const parsed = parseConfig({ JARVIS_DATA_DIR: dir, ...env });
  if (!parsed.ok) throw new Error(parsed.errors.join('; '));
  const clock = new ManualClock();
  const db = openDatabase(parsed.config.dbPath);
  migrate(db, readMigrations(join(projectRoot(), 'migrations')), clock.now());
  const memory = buildMemory({ db, clock, log: createLogger({ level: 'silent' }), config: parsed.config });
  return {
    memory,
    db,
    clock,
    close() {
      memory.close();
      db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A new harness for each test of the file (made before it, closed after), read through the returned object. */
export function freshMemoryHarness(): MemoryHarness {
  let current: MemoryHarness | undefined;
  beforeEach(() => {
    current = makeMemoryHarness();
  });
  afterEach(() => {
    current?.close();
    current = undefined;
  });
  const now = (): MemoryHarness => {
    if (!current) throw new Error('the memory harness exists only inside a test');
    return current;
  };
  return {
    get memory() {
      return now().memory;
    },
    get db() {
      return now().db;
    },
    get clock() {
      return now().clock;
    },
    close: () => now().close(),
  };
}
