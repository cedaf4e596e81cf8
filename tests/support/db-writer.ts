import { spawn, type ChildProcess } from 'node:child_process';
import { projectRoot } from '../../src/core/paths.js';

/**
 * Another process writing to the database (one audit_log row per transaction), like the daemon
 * under load while a backup or a restore check runs: as fast as it can, reporting on stdout the id
 * of every 50th row it has committed; or paced at `rowsPerSec`, reporting the last id it committed
 * every few milliseconds.
 */
export interface DbWriter {
  proc: ChildProcess;
  /** Highest id the writer reported as committed. */
  committed(): number;
  waitFor(rows: number, timeoutMs?: number): Promise<void>;
  stop(): Promise<number>;
}

const SCRIPT = `
const Database = require('better-sqlite3');
const db = new Database(process.argv[1]);
db.pragma('journal_mode = WAL');
db.pragma('busy_timeout = 5000');
db.pragma('synchronous = NORMAL');
const insert = db.prepare("INSERT INTO audit_log (at, actor, action, target, outcome, detail) VALUES (?, 'load', 'write', NULL, 'ok', ?)");
let stop = false;
process.on('SIGTERM', () => { stop = true; });
const pad = 'x'.repeat(200);
const rate = Number(process.argv[2] || 0);
function end() { db.close(); process.stdout.write('done\\n'); process.exit(0); }
function burst() {
  if (stop) end();
  for (let i = 0; i < 50; i++) {
    const id = insert.run(Date.now(), pad).lastInsertRowid;
    if (i === 49) process.stdout.write(id + '\\n');
  }
  setImmediate(burst);
}
const t0 = Date.now();
let written = 0;
function paced() {
  if (stop) end();
  const due = Math.floor(((Date.now() - t0) * rate) / 1000);
  let id;
  for (; written < due; written++) id = insert.run(Date.now(), pad).lastInsertRowid;
  if (id !== undefined) process.stdout.write(id + '\\n');
  setTimeout(paced, 5);
}
if (rate > 0) paced(); else burst();
`;

export function startDbWriter(dbPath: string, opts: { rowsPerSec?: number } = {}): DbWriter {
  const proc = spawn(process.execPath, ['-e', SCRIPT, dbPath, String(opts.rowsPerSec ?? 0)], { cwd: projectRoot(), stdio: ['ignore', 'pipe', 'inherit'] });
  let last = 0;
  let buf = '';
  proc.stdout!.on('data', (c: Buffer) => {
    buf += c.toString();
    const lines = buf.split('\n');
    buf = lines.pop() ?? '';
    for (const l of lines) if (/^\d+$/.test(l)) last = Number(l);
  });
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  return {
    proc,
    committed: () => last,
    async waitFor(rows, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (last < rows) {
        if (Date.now() > deadline) throw new Error(`the writer committed only ${last} rows`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async stop() {
      proc.kill('SIGTERM');
      await exited;
      return last;
    },
  };
}
