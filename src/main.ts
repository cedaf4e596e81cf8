#!/usr/bin/env node
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseConfig, readEnv, secretsOf, type Config } from './config.js';
import { createLogger, type Logger } from './core/logger.js';
import { systemClock } from './core/clock.js';
import { createApp, readVersion, type App } from './app.js';
import type { Channel } from './channels/channel.js';
import { TelegramChannel, TelegramStartError, TelegramUnreachableError } from './channels/telegram.js';
import { ConsoleChannel } from './channels/console.js';
import { MigrationError, migrate, readMigrations } from './storage/migrations.js';
import { openDatabase } from './storage/database.js';
import { UpdateInbox } from './storage/update-inbox.js';
import { projectRoot } from './core/paths.js';
import { truncate } from './core/render.js';
import { WalletSecretError } from './trading/wallet-crypto.js';
import { walletCommand } from './trading/wallet-cli.js';
import { backupCommand, restoreCommand } from './ops/backup/cli.js';
import { doctorCommand } from './ops/doctor/cli.js';

const USAGE = `Usage: jarvis <command>

  start     run the daemon (default): Telegram if TELEGRAM_BOT_TOKEN is set, the console if a terminal is attached
  chat      talk to Jarvis in this terminal as the local admin (no polling, no jobs)
  migrate   apply database migrations and exit
  wallet    import|show|check the live trading wallet (the secret key is read from stdin)
  backup    take a backup of the database now (daemon running or not); prints its path
  restore   FILE: replace the database with a backup (stop Jarvis first); the current one is kept aside
  doctor    check the setup, one line per check (PASS/WARN/FAIL); doctor --fix repairs what is safe to
  whatsapp  link|status|logout: link the WhatsApp account (QR or pairing code here), see or drop the link
  version   print the version
  help      this text

Configuration comes from the environment and an optional .env file; see docs/operations.md.`;

const EXIT_CONFIG = 78;

function loadConfigOrExit(): Config {
  const result = parseConfig(readEnv());
  if (!result.ok) {
    process.stderr.write(`Jarvis cannot start: the configuration is invalid.\n${result.errors.map((e) => `  - ${e}`).join('\n')}\nSee docs/operations.md for every variable.\n`);
    process.exit(EXIT_CONFIG);
  }
  return result.config;
}

function loggerFor(config: Config, toFile: boolean): Logger {
  if (!toFile) return createLogger({ level: config.logLevel, secrets: secretsOf(config), destination: pino.destination(1) });
  mkdirSync(config.dataDir, { recursive: true });
  return createLogger({ level: config.logLevel, secrets: secretsOf(config), destination: pino.destination({ dest: join(config.dataDir, 'jarvis.log'), mkdir: true }) });
}

async function run(mode: 'start' | 'chat'): Promise<void> {
  const config = loadConfigOrExit();
  const useTelegram = mode === 'start' && !!config.telegram;
  const whatsapp = mode === 'start' && config.whatsapp.enabled ? await import('./channels/whatsapp.js') : undefined;
  const useConsole = mode === 'chat' || config.console === 'on' || (config.console === 'auto' && !useTelegram && !!process.stdin.isTTY);
  const log = loggerFor(config, useConsole);
  let app: App | undefined;
  const shutdown = async (code: number, why: string) => {
    log.info({ why }, 'shutting down');
    try {
      await app?.stop();
    } catch (err) {
      log.error({ err }, 'error during shutdown');
      code = code || 1;
    }
    log.flush();
    process.exit(code);
  };
  let signals = 0;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (++signals > 1) process.exit(1); // a second signal: stop waiting
      void shutdown(0, sig);
    });
  }
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled promise rejection'));
  process.on('uncaughtException', (err) => {
    log.fatal({ err }, 'uncaught exception');
    void shutdown(1, 'uncaught exception');
  });

  try {
    app = await createApp({
      config,
      log,
      jobs: mode === 'start',
      http: mode === 'start',
      channels: ({ db, clock, log, metrics, notices }) => {
        const list: Channel[] = [];
        if (useTelegram) list.push(new TelegramChannel(config.telegram!, { log: log.child({ channel: 'telegram' }), metrics, clock, inbox: new UpdateInbox(db, clock) }));
        if (whatsapp) list.push(new whatsapp.WhatsAppChannel(config.whatsapp, { db, clock, metrics, notices, log: log.child({ channel: 'whatsapp' }), alertKeys: useTelegram ? config.admins.filter((a) => a.startsWith('telegram:')) : [] }));
        if (useConsole) list.push(new ConsoleChannel({ input: process.stdin, output: process.stdout, color: !!process.stdout.isTTY }, systemClock, () => void shutdown(0, 'console closed')));
        return list;
      },
    });
    if (useConsole) printBanner(config, mode, useTelegram);
    await app.start();
  } catch (err) {
    const config = err instanceof MigrationError || err instanceof TelegramStartError || err instanceof WalletSecretError;
    const said = config || err instanceof TelegramUnreachableError;
    process.stderr.write(`Jarvis cannot start: ${said ? (err as Error).message : 'unexpected error (see the log)'}\n`);
    log.fatal({ err }, 'start failed');
    await app?.stop().catch(() => undefined);
    log.flush();
    process.exit(config ? EXIT_CONFIG : 1); // 78: fix the configuration; 1: worth retrying later
  }
  if (!useTelegram && !useConsole && !whatsapp) {
    log.warn('no channel configured: set TELEGRAM_BOT_TOKEN (see docs/operations.md); HTTP health endpoints are up');
  }
  process.send?.('ready');
}

function printBanner(config: Config, mode: 'start' | 'chat', telegram: boolean): void {
  const lines = [`Jarvis ${readVersion()} — console, signed in as the local admin. Type /help or /status; Ctrl-D quits.`];
  if (mode === 'start' && !telegram) {
    lines.push(
      'No chat channel is configured. To use Telegram, create a bot with @BotFather and start Jarvis with:',
      '  TELEGRAM_BOT_TOKEN=<token> JARVIS_ADMINS=telegram:<your numeric id> npm start',
      '(or put both lines in a .env file next to package.json).',
    );
  }
  lines.push(`Logs go to ${join(config.dataDir, 'jarvis.log')}.`, '');
  process.stdout.write(lines.join('\n') + '\n');
}

function runMigrate(): void {
  const config = loadConfigOrExit();
  const db = openDatabase(config.dbPath);
  try {
    const r = migrate(db, readMigrations(join(projectRoot(), 'migrations')));
    process.stdout.write(r.applied.length ? `Applied ${r.applied.join(', ')}; schema version ${r.current}.\n` : `Up to date at schema version ${r.current}.\n`);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exitCode = EXIT_CONFIG;
  } finally {
    db.close();
  }
}

const [cmd = 'start'] = process.argv.slice(2);
switch (cmd) {
  case 'start':
  case 'chat':
    void run(cmd);
    break;
  case 'migrate':
    runMigrate();
    break;
  case 'wallet':
    process.exitCode = walletCommand(loadConfigOrExit(), process.argv[3], (s) => process.stdout.write(s));
    break;
  case 'backup':
  case 'restore': {
    const io = { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s) };
    const command = cmd === 'backup' ? backupCommand : restoreCommand;
    void command(loadConfigOrExit(), process.argv.slice(3), io).then((code) => (process.exitCode = code));
    break;
  }
  case 'doctor':
    void doctorCommand(process.argv.slice(3), readEnv(), { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) }).then((code) => (process.exitCode = code));
    break;
  case 'whatsapp': {
    const config = loadConfigOrExit();
    const io = { out: (s: string) => process.stdout.write(s), err: (s: string) => process.stderr.write(s) };
    void import('./channels/whatsapp-cli.js')
      .then(({ whatsappCommand }) => whatsappCommand(config, process.argv.slice(3), io, { log: loggerFor(config, true) }))
      .then((code) => {
        process.exitCode = code;
        setTimeout(() => process.exit(code), 500).unref(); // Baileys' caches may hold timers open
      });
    break;
  }
  case 'version':
  case '--version':
    process.stdout.write(`${readVersion()}\n`);
    break;
  case 'help':
  case '--help':
  case '-h':
    process.stdout.write(`${USAGE}\n`);
    break;
  default:
    process.stderr.write(`Unknown command "${truncate(cmd, 40)}".\n\n${USAGE}\n`);
    process.exitCode = 64;
}
