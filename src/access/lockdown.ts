import type { Db } from '../storage/database.js';
import { kvGet, kvSet } from '../storage/database.js';
import type { Clock } from '../core/clock.js';
import { UserError } from '../core/errors.js';
import { ChangeWatch } from '../storage/change-watch.js';

const KEY = 'lockdown';

/**
 * The kill switch. While on, every action that moves money, machines or files is refused;
 * reads still work. Persisted, so a restart does not lift it.
 */
export class Lockdown {
  private on: boolean;
  private readonly watch: ChangeWatch;

  constructor(private readonly db: Db, private readonly clock: Clock, watchMs?: number) {
    this.on = kvGet(db, KEY) === 'on';
    this.watch = new ChangeWatch(db, watchMs);
  }

  /** Also sees a lockdown set by another process (jarvis chat) within a second. */
  isOn(): boolean {
    if (this.watch.changed()) this.on = kvGet(this.db, KEY) === 'on';
    return this.on;
  }

  set(on: boolean): void {
    kvSet(this.db, KEY, on ? 'on' : 'off', this.clock.now());
    this.on = on;
  }

  /** For module services: call before anything that moves money, machines or files. */
  assertOff(what = 'This action'): void {
    if (this.isOn()) throw new UserError(`${what} is refused: Jarvis is in lockdown. An admin can lift it with /lockdown off.`);
  }
}
