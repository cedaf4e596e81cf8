import { statSync } from 'node:fs';
import type { Services } from '../core/services.js';
import { bold, plain, type Span } from '../core/message.js';
import { formatAgo, formatBytes, formatDuration } from '../core/render.js';

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** Database file plus its WAL, as it takes space on disk. */
export function databaseBytes(dbPath: string): number {
  return fileSize(dbPath) + fileSize(`${dbPath}-wal`);
}

/** The /status screen: uptime, version, channels, database, jobs, then each module's lines. */
export async function statusReport(s: Services): Promise<Span[]> {
  const now = s.clock.now();
  const out: Span[] = [bold(`Jarvis ${s.version}`), plain(` — up ${formatDuration(now - s.startedAt)}\n`)];
  const channels = s.channels();
  out.push(plain(`Channels: ${channels.length ? channels.map((c) => `${c.name} ${c.state}${c.detail ? ` (${c.detail})` : ''}`).join(', ') : 'none'}\n`));
  out.push(plain(`Database: ${formatBytes(databaseBytes(s.config.dbPath))}\n`));
  out.push(plain(`Lockdown: ${s.lockdown.isOn() ? 'ON — actions refused' : 'off'}\n`));
  const runs = new Map(s.scheduler.lastRuns().map((r) => [r.job, r]));
  out.push(bold('Jobs'), plain('\n'));
  for (const name of s.scheduler.names()) {
    const r = runs.get(name);
    out.push(
      plain(
        r
          ? `• ${name}: ${r.outcome} ${formatAgo(r.startedAt, now)}${r.durationMs !== null ? ` (${r.durationMs} ms)` : ''}\n`
          : `• ${name}: not run yet\n`,
      ),
    );
  }
  for (const { module, lines } of await s.status.lines()) {
    out.push(bold(module), plain('\n'));
    for (const l of lines) out.push(plain(`• ${l}\n`));
  }
  return out;
}
