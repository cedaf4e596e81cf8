import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The built daemon (dist/src/main.js) as a child process, with its JSON log lines collected. */
export interface Daemon {
  proc: ChildProcess;
  logs: Record<string, unknown>[];
  stderr: string[];
  /** IPC messages from the daemon (pm2's wait_ready listens for 'ready'). */
  messages: unknown[];
  httpPort?: number;
  waitForLog(match: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends the signal and resolves with the exit code and how long the exit took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }>;
}

export const MAIN = resolve(import.meta.dirname, '../../dist/src/main.js');

export function tempDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'jarvis-e2e-'));
}

/** Env for a daemon talking to a fake Bot API, fast enough for tests. */
export function fakeTelegramEnv(apiRoot: string, token: string, dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    TELEGRAM_BOT_TOKEN: token,
    TELEGRAM_API_ROOT: apiRoot,
    TELEGRAM_POLL_TIMEOUT_SEC: '1',
    TELEGRAM_PER_CHAT_PER_SEC: '50',
    TELEGRAM_PER_CHAT_BURST: '20',
    JARVIS_DATA_DIR: dataDir,
    JARVIS_HTTP_PORT: '0',
    JARVIS_CONSOLE: 'off',
    JARVIS_LOG_LEVEL: 'debug',
    ...extra,
  };
}

export async function startDaemon(env: Record<string, string>, opts: { waitReady?: boolean; args?: string[] } = {}): Promise<Daemon> {
  const proc = spawn(process.execPath, [MAIN, ...(opts.args ?? ['start'])], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const messages: unknown[] = [];
  proc.on('message', (m) => messages.push(m));
  const waiters = new Set<() => void>();
  let buf = '';
  proc.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line, raw: true });
      }
    }
    for (const w of waiters) w();
  });
  proc.stderr!.on('data', (c: Buffer) => {
    stderr.push(c.toString());
    for (const w of waiters) w();
  });
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    proc.on('exit', (code, signal) => {
      exited = { code, signal };
      for (const w of waiters) w();
      r(exited);
    }),
  );

  const daemon: Daemon = {
    proc,
    logs,
    stderr,
    messages,
    waitForLog(match, timeoutMs = 15_000) {
      return new Promise((resolvePromise, reject) => {
        const check = () => {
          const hit = logs.find(match);
          if (hit) return done(() => resolvePromise(hit));
          if (exited) return done(() => reject(new Error(`daemon exited (${JSON.stringify(exited)}) before the log line; stderr: ${stderr.join('')}`)));
        };
        const timer = setTimeout(() => done(() => reject(new Error(`no matching log line within ${timeoutMs} ms; last lines: ${JSON.stringify(logs.slice(-5))}; stderr: ${stderr.join('')}`))), timeoutMs);
        const done = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    },
    async stop(signal = 'SIGTERM') {
      const t0 = Date.now();
      if (!exited) proc.kill(signal);
      const r = await exit;
      return { ...r, ms: Date.now() - t0 };
    },
  };
  if (opts.waitReady !== false) {
    await daemon.waitForLog((l) => l.msg === 'jarvis started');
    const http = logs.find((l) => l.msg === 'http listening');
    daemon.httpPort = typeof http?.port === 'number' ? http.port : undefined;
  }
  return daemon;
}
