import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import { adminList, bool, cronExpr, int, num, url } from './config-fields.js';
import { llmConfigFrom, llmEnv, type LlmConfig } from './llm/config.js';
import { vibeConfigFrom, vibeEnv, type VibeConfig } from './vibe/config.js';
import { backupConfigFrom, backupEnv, type BackupConfig } from './ops/backup-config.js';
import { whatsappConfigFrom, whatsappEnv, type WhatsAppConfig } from './channels/whatsapp-config.js';

/**
 * One zod schema over the environment (plus an optional .env file). Every limit has a default
 * here; docs/operations.md lists them. A bad value is reported by variable name, never by value,
 * so a mistyped secret is not echoed to the terminal or a log.
 */

/** A CA file Jarvis can read, holding at least one PEM certificate. */
function isPemCertificate(file: string): boolean {
  try {
    return readFileSync(file, 'utf8').includes('-----BEGIN CERTIFICATE-----');
  } catch {
    return false;
  }
}

const envSchema = z.object({
  ...llmEnv,
  ...vibeEnv,
  ...backupEnv,
  ...whatsappEnv,
  JARVIS_DATA_DIR: z.string().min(1).default('./data'),
  JARVIS_ADMINS: adminList.default([]),
  JARVIS_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  JARVIS_HTTP_ENABLED: bool.default(true),
  JARVIS_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  JARVIS_HTTP_PORT: int(0, 65535).default(8787),
  JARVIS_CONSOLE: z.enum(['auto', 'on', 'off']).default('auto'),
  JARVIS_RATE_LIMIT_ENABLED: bool.default(true),
  JARVIS_RATE_LIMIT_BURST: int(1, 10_000).default(10),
  JARVIS_RATE_LIMIT_PER_MIN: num(0.1, 100_000).default(30),
  JARVIS_STRANGER_REPLY_INTERVAL_SEC: int(0, 86_400).default(600),
  JARVIS_FLOW_TTL_SEC: int(10, 7 * 86_400).default(900),
  JARVIS_SHUTDOWN_TIMEOUT_MS: int(100, 600_000).default(8_000),
  JARVIS_AUDIT_RETENTION_DAYS: int(1, 36_500).default(180),
  JARVIS_MAINTENANCE_CRON: cronExpr.default('17 4 * * *'),
  JARVIS_MAINTENANCE_MISSED: z.enum(['skip', 'run-once']).default('run-once'),
  TELEGRAM_BOT_TOKEN: z
    .string()
    .regex(/^\d{3,20}:[A-Za-z0-9_-]{5,}$/, { message: 'does not look like a bot token from @BotFather (digits:letters)' })
    .optional(),
  TELEGRAM_API_ROOT: url.default('https://api.telegram.org'),
  TELEGRAM_POLL_TIMEOUT_SEC: int(0, 50).default(30),
  TELEGRAM_PER_CHAT_PER_SEC: num(0.01, 100).default(1),
  TELEGRAM_PER_CHAT_BURST: int(1, 100).default(3),
  TELEGRAM_GROUP_PER_MIN: int(1, 10_000).default(20),
  TELEGRAM_GLOBAL_PER_SEC: num(0.1, 1_000).default(30),
  TELEGRAM_MAX_RETRIES: int(0, 20).default(6),
  TELEGRAM_REQUEST_TIMEOUT_SEC: int(1, 600).default(60),
  TELEGRAM_STREAM_DRAFTS: bool.default(true),
  JARVIS_MASTER_SECRET: z.string().min(12, { message: 'expected at least 12 characters' }).optional(),
  TRADING_MODE: z.enum(['paper', 'live']).default('paper'),
  TRADING_LIVE_USERS: adminList.optional(),
  TRADING_PAPER_START_SOL: num(0, 1_000_000).default(10),
  TRADING_NETWORK_FEE_LAMPORTS: int(0, 1_000_000).default(5_000),
  TRADING_PRIORITY_FEE_LOW_LAMPORTS: int(0, 100_000_000).default(10_000),
  TRADING_PRIORITY_FEE_MEDIUM_LAMPORTS: int(0, 100_000_000).default(100_000),
  TRADING_PRIORITY_FEE_HIGH_LAMPORTS: int(0, 100_000_000).default(1_000_000),
  TRADING_DEFAULT_SLIPPAGE_BPS: int(1, 5_000).default(100),
  TRADING_MAX_SLIPPAGE_BPS: int(1, 5_000).default(1_000),
  TRADING_SL_MAX_SLIPPAGE_BPS: int(1, 5_000).default(2_000),
  TRADING_MAX_TRADE_SOL: num(0.000001, 1_000_000).default(1),
  TRADING_MAX_OPEN_POSITIONS: int(1, 100_000).default(10),
  TRADING_DAILY_LOSS_LIMIT_SOL: num(0, 1_000_000).default(2),
  TRADING_LIVE_CONFIRM_ABOVE_SOL: num(0, 1_000_000).default(0),
  TRADING_CONFIRM_TTL_SEC: int(10, 3_600).default(60),
  TRADING_MONITOR_INTERVAL_SEC: int(1, 59).default(5),
  TRADING_PRICE_MISSING_ALERT_SEC: int(10, 86_400).default(600),
  TRADING_EXIT_RETRY_BASE_SEC: int(1, 3_600).default(5),
  TRADING_EXIT_RETRY_MAX_SEC: int(1, 86_400).default(300),
  TRADING_HTTP_TIMEOUT_MS: int(100, 120_000).default(10_000),
  JUPITER_API_URL: url.default('https://api.jup.ag'),
  JUPITER_API_KEY: z.string().min(8).optional(),
  JUPITER_RATE_PER_MIN: num(1, 100_000).default(60),
  BAGS_API_URL: url.default('https://public-api-v2.bags.fm/api/v1'),
  BAGS_API_KEY: z.string().min(8).optional(),
  BAGS_RATE_PER_HOUR: num(1, 1_000_000).default(1_000),
  SOLANA_RPC_URL: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .refine((l) => l.length > 0 && l.every((u) => /^https?:\/\/\S+$/.test(u)), { message: 'expected one or more comma-separated http(s) URLs' })
    .default(['https://api.mainnet-beta.solana.com']),
  SOLANA_RESEND_INTERVAL_MS: int(100, 60_000).default(2_000),
  PROXMOX_URL: url.optional(),
  PROXMOX_TOKEN_ID: z.string().regex(/^[^\s:/!@]+@[^\s@!:/]+![A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'expected USER@REALM!TOKENNAME, e.g. jarvis@pve!bot' }).optional(),
  PROXMOX_TOKEN_SECRET: z.string().regex(/^[A-Za-z0-9-]{8,}$/, { message: 'expected the token secret (a UUID) shown once when the token was made' }).optional(),
  PROXMOX_CA_FILE: z.string().min(1).refine((f) => existsSync(f), { message: 'file not found' }).refine(isPemCertificate, { message: 'not a readable PEM certificate file' }).optional(),
  PROXMOX_FINGERPRINT: z.string().regex(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, { message: 'expected a SHA-256 fingerprint, 64 hex digits (colons optional)' }).optional(),
  PROXMOX_TIMEOUT_MS: int(500, 120_000).default(8_000),
  CLUSTER_CACHE_SEC: int(0, 300).default(5),
  CLUSTER_CONFIRM_TTL_SEC: int(10, 3_600).default(60),
  CLUSTER_TASK_TIMEOUT_SEC: int(5, 3_600).default(120),
  CLUSTER_TASK_POLL_MS: int(20, 60_000).default(1_000),
  CLUSTER_WATCH_CRON: cronExpr.default('* * * * *'),
  CLUSTER_ALERT_CPU_PCT: int(1, 100).default(90),
  CLUSTER_ALERT_MEM_PCT: int(1, 100).default(90),
  CLUSTER_ALERT_DISK_PCT: int(1, 100).default(90),
  CLUSTER_ALERT_CLEAR_MARGIN_PCT: int(0, 50).default(5),
  MEMORY_SESSION_TTL_HOURS: int(1, 8_760).default(24),
  MEMORY_SHORT_TTL_DAYS: int(1, 3_650).default(30),
  MEMORY_RECALL_TOKENS: int(0, 100_000).default(600),
  MEMORY_MAX_CHARS: int(20, 4_000).default(500),
  MEMORY_MAX_PER_USER: int(1, 1_000_000).default(2_000),
  MEMORY_TOUCH_FLUSH_SEC: int(1, 3_600).default(30),
  MEMORY_CLEANUP_CRON: cronExpr.default('30 3 * * *'),
  CHAT_RETENTION_DAYS: int(1, 36_500).default(30),
}).superRefine((e, ctx) => {
  const given = [e.PROXMOX_URL, e.PROXMOX_TOKEN_ID, e.PROXMOX_TOKEN_SECRET].filter((v) => v !== undefined).length;
  if (given > 0 && given < 3) {
    for (const k of ['PROXMOX_URL', 'PROXMOX_TOKEN_ID', 'PROXMOX_TOKEN_SECRET'] as const) {
      if (e[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: 'needed too: the cluster module takes PROXMOX_URL, PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET together' });
    }
  }
  if (e.TRADING_SL_MAX_SLIPPAGE_BPS < Math.min(e.TRADING_DEFAULT_SLIPPAGE_BPS, e.TRADING_MAX_SLIPPAGE_BPS)) {
    ctx.addIssue({ code: 'custom', path: ['TRADING_SL_MAX_SLIPPAGE_BPS'], message: 'must be at least TRADING_DEFAULT_SLIPPAGE_BPS: a stop-loss widens its slippage up to it, never narrows it' });
  }
  if (e.PROXMOX_CA_FILE && e.PROXMOX_FINGERPRINT) ctx.addIssue({ code: 'custom', path: ['PROXMOX_FINGERPRINT'], message: 'give either PROXMOX_CA_FILE or PROXMOX_FINGERPRINT, not both' });
  for (const k of ['PROXMOX_CA_FILE', 'PROXMOX_FINGERPRINT'] as const) {
    if (e[k] && e.PROXMOX_URL && !e.PROXMOX_URL.startsWith('https://')) ctx.addIssue({ code: 'custom', path: [k], message: 'needs an https:// PROXMOX_URL' });
  }
});

export type Env = z.input<typeof envSchema>;

export interface Config {
  dataDir: string;
  dbPath: string;
  admins: string[];
  logLevel: z.infer<typeof envSchema>['JARVIS_LOG_LEVEL'];
  http: { enabled: boolean; host: string; port: number };
  console: 'auto' | 'on' | 'off';
  rateLimit: { enabled: boolean; burst: number; perMinute: number };
  strangerReplyIntervalMs: number;
  flowTtlMs: number;
  shutdownTimeoutMs: number;
  auditRetentionDays: number;
  jobs: { maintenance: { cron: string; missed: 'skip' | 'run-once' } };
  trading: TradingConfig;
  /** Absent until PROXMOX_URL, PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET are set. */
  cluster?: ClusterConfig;
  llm: LlmConfig;
  vibe: VibeConfig;
  backup: BackupConfig;
  whatsapp: WhatsAppConfig;
  memory: MemoryConfig;
  /** Unlocks the live wallet; given at start (env), never stored. */
  masterSecret?: string;
  telegram?: {
    token: string;
    apiRoot: string;
    pollTimeoutSec: number;
    perChatPerSec: number;
    perChatBurst: number;
    groupPerMin: number;
    globalPerSec: number;
    maxRetries: number;
    requestTimeoutSec: number;
    /** Stream answers in private chats with sendMessageDraft (falls back to edits if the server lacks it). */
    streamDrafts: boolean;
  };
}

export type PriorityLevel = 'low' | 'medium' | 'high';

export interface TradingConfig {
  mode: 'paper' | 'live';
  /** Who may switch to live trading (owners from JARVIS_ADMINS when unset). */
  liveUsers: string[];
  paperStartLamports: number;
  networkFeeLamports: number;
  priorityFeeLamports: Record<PriorityLevel, number>;
  defaultSlippageBps: number;
  maxSlippageBps: number;
  /**
   * A stop-loss that fails on slippage retries with double the slippage, up to this (or the
   * position's own slippage, if that is higher). Take-profits and manual sales never widen.
   */
  slMaxSlippageBps: number;
  maxTradeLamports: number;
  maxOpenPositions: number;
  dailyLossLimitLamports: number;
  liveConfirmAboveLamports: number;
  confirmTtlMs: number;
  monitorIntervalSec: number;
  priceMissingAlertMs: number;
  exitRetryBaseMs: number;
  exitRetryMaxMs: number;
  httpTimeoutMs: number;
  jupiter: { url: string; apiKey?: string; perMinute: number };
  bags?: { url: string; apiKey: string; perHour: number };
  rpcUrls: string[];
  resendIntervalMs: number;
}

export interface ClusterConfig {
  url: string;
  tokenId: string;
  tokenSecret: string;
  /** PEM of the CA that signed the host's certificate. */
  caFile?: string;
  /** SHA-256 of the host's own (self-signed) certificate, uppercase with colons. */
  fingerprint?: string;
  timeoutMs: number;
  cacheMs: number;
  confirmTtlMs: number;
  taskTimeoutMs: number;
  /** Between reads of a running task's status (and of a rebooting node's). */
  taskPollMs: number;
  watchCron: string;
  alert: { cpuPct: number; memPct: number; diskPct: number; clearMarginPct: number };
}

/** What Jarvis remembers about people (src/memory/): tiers' lifetimes, recall budget, limits. */
export interface MemoryConfig {
  /** A session memory lives this long from when it was made. */
  sessionTtlMs: number;
  /** A short memory lives this long from when it was made or last recalled. */
  shortTtlMs: number;
  /** Recalled memories put into one prompt, at most this many tokens (about 4 characters each). */
  recallTokens: number;
  maxChars: number;
  /** Live memories per person; beyond it explicit ones are refused and extracted ones dropped. */
  maxPerUser: number;
  /** Recalls are written back (last recalled, extended expiry) in one transaction this often. */
  touchFlushMs: number;
  cleanupCron: string;
  /** The memory-cleanup job deletes chat turns older than this. */
  chatRetentionDays: number;
}

const normalFingerprint = (f: string): string => f.replace(/:/g, '').toUpperCase().replace(/(..)(?!$)/g, '$1:');

const lamports = (sol: number): number => Math.round(sol * 1_000_000_000);

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

/** Parses the given environment; never throws, never includes a value in an error. */
export function parseConfig(env: Record<string, string | undefined>): ConfigResult {
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') cleaned[k] = v;
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
    return { ok: false, errors: [...new Set(errors)] };
  }
  const e = parsed.data;
  const dataDir = resolve(e.JARVIS_DATA_DIR);
  return {
    ok: true,
    config: {
      dataDir,
      dbPath: resolve(dataDir, 'jarvis.db'),
      admins: e.JARVIS_ADMINS,
      logLevel: e.JARVIS_LOG_LEVEL,
      http: { enabled: e.JARVIS_HTTP_ENABLED, host: e.JARVIS_HTTP_HOST, port: e.JARVIS_HTTP_PORT },
      console: e.JARVIS_CONSOLE,
      rateLimit: { enabled: e.JARVIS_RATE_LIMIT_ENABLED, burst: e.JARVIS_RATE_LIMIT_BURST, perMinute: e.JARVIS_RATE_LIMIT_PER_MIN },
      strangerReplyIntervalMs: e.JARVIS_STRANGER_REPLY_INTERVAL_SEC * 1000,
      flowTtlMs: e.JARVIS_FLOW_TTL_SEC * 1000,
      shutdownTimeoutMs: e.JARVIS_SHUTDOWN_TIMEOUT_MS,
      auditRetentionDays: e.JARVIS_AUDIT_RETENTION_DAYS,
      jobs: { maintenance: { cron: e.JARVIS_MAINTENANCE_CRON, missed: e.JARVIS_MAINTENANCE_MISSED } },
      masterSecret: e.JARVIS_MASTER_SECRET,
      llm: llmConfigFrom(e),
      vibe: vibeConfigFrom(e),
      backup: backupConfigFrom(e, dataDir),
      whatsapp: whatsappConfigFrom(e),
      memory: {
        sessionTtlMs: e.MEMORY_SESSION_TTL_HOURS * 3_600_000,
        shortTtlMs: e.MEMORY_SHORT_TTL_DAYS * 86_400_000,
        recallTokens: e.MEMORY_RECALL_TOKENS,
        maxChars: e.MEMORY_MAX_CHARS,
        maxPerUser: e.MEMORY_MAX_PER_USER,
        touchFlushMs: e.MEMORY_TOUCH_FLUSH_SEC * 1000,
        cleanupCron: e.MEMORY_CLEANUP_CRON,
        chatRetentionDays: e.CHAT_RETENTION_DAYS,
      },
      trading: {
        mode: e.TRADING_MODE,
        liveUsers: e.TRADING_LIVE_USERS ?? e.JARVIS_ADMINS,
        paperStartLamports: lamports(e.TRADING_PAPER_START_SOL),
        networkFeeLamports: e.TRADING_NETWORK_FEE_LAMPORTS,
        priorityFeeLamports: { low: e.TRADING_PRIORITY_FEE_LOW_LAMPORTS, medium: e.TRADING_PRIORITY_FEE_MEDIUM_LAMPORTS, high: e.TRADING_PRIORITY_FEE_HIGH_LAMPORTS },
        defaultSlippageBps: Math.min(e.TRADING_DEFAULT_SLIPPAGE_BPS, e.TRADING_MAX_SLIPPAGE_BPS),
        maxSlippageBps: e.TRADING_MAX_SLIPPAGE_BPS,
        slMaxSlippageBps: e.TRADING_SL_MAX_SLIPPAGE_BPS,
        maxTradeLamports: lamports(e.TRADING_MAX_TRADE_SOL),
        maxOpenPositions: e.TRADING_MAX_OPEN_POSITIONS,
        dailyLossLimitLamports: lamports(e.TRADING_DAILY_LOSS_LIMIT_SOL),
        liveConfirmAboveLamports: lamports(e.TRADING_LIVE_CONFIRM_ABOVE_SOL),
        confirmTtlMs: e.TRADING_CONFIRM_TTL_SEC * 1000,
        monitorIntervalSec: e.TRADING_MONITOR_INTERVAL_SEC,
        priceMissingAlertMs: e.TRADING_PRICE_MISSING_ALERT_SEC * 1000,
        exitRetryBaseMs: e.TRADING_EXIT_RETRY_BASE_SEC * 1000,
        exitRetryMaxMs: Math.max(e.TRADING_EXIT_RETRY_MAX_SEC, e.TRADING_EXIT_RETRY_BASE_SEC) * 1000,
        httpTimeoutMs: e.TRADING_HTTP_TIMEOUT_MS,
        jupiter: { url: e.JUPITER_API_URL.replace(/\/+$/, ''), apiKey: e.JUPITER_API_KEY, perMinute: e.JUPITER_RATE_PER_MIN },
        bags: e.BAGS_API_KEY ? { url: e.BAGS_API_URL.replace(/\/+$/, ''), apiKey: e.BAGS_API_KEY, perHour: e.BAGS_RATE_PER_HOUR } : undefined,
        rpcUrls: e.SOLANA_RPC_URL.map((u) => u.replace(/\/+$/, '')),
        resendIntervalMs: e.SOLANA_RESEND_INTERVAL_MS,
      },
      cluster:
        e.PROXMOX_URL && e.PROXMOX_TOKEN_ID && e.PROXMOX_TOKEN_SECRET
          ? {
              url: e.PROXMOX_URL.replace(/\/+$/, ''),
              tokenId: e.PROXMOX_TOKEN_ID,
              tokenSecret: e.PROXMOX_TOKEN_SECRET,
              caFile: e.PROXMOX_CA_FILE,
              fingerprint: e.PROXMOX_FINGERPRINT ? normalFingerprint(e.PROXMOX_FINGERPRINT) : undefined,
              timeoutMs: e.PROXMOX_TIMEOUT_MS,
              cacheMs: e.CLUSTER_CACHE_SEC * 1000,
              confirmTtlMs: e.CLUSTER_CONFIRM_TTL_SEC * 1000,
              taskTimeoutMs: e.CLUSTER_TASK_TIMEOUT_SEC * 1000,
              taskPollMs: e.CLUSTER_TASK_POLL_MS,
              watchCron: e.CLUSTER_WATCH_CRON,
              alert: { cpuPct: e.CLUSTER_ALERT_CPU_PCT, memPct: e.CLUSTER_ALERT_MEM_PCT, diskPct: e.CLUSTER_ALERT_DISK_PCT, clearMarginPct: e.CLUSTER_ALERT_CLEAR_MARGIN_PCT },
            }
          : undefined,
      telegram: e.TELEGRAM_BOT_TOKEN
        ? {
            token: e.TELEGRAM_BOT_TOKEN,
            apiRoot: e.TELEGRAM_API_ROOT.replace(/\/+$/, ''),
            pollTimeoutSec: e.TELEGRAM_POLL_TIMEOUT_SEC,
            perChatPerSec: e.TELEGRAM_PER_CHAT_PER_SEC,
            perChatBurst: e.TELEGRAM_PER_CHAT_BURST,
            groupPerMin: e.TELEGRAM_GROUP_PER_MIN,
            globalPerSec: e.TELEGRAM_GLOBAL_PER_SEC,
            maxRetries: e.TELEGRAM_MAX_RETRIES,
            requestTimeoutSec: e.TELEGRAM_REQUEST_TIMEOUT_SEC,
            streamDrafts: e.TELEGRAM_STREAM_DRAFTS,
          }
        : undefined,
    },
  };
}

/** process.env overlaid on an optional .env file (the real environment wins). */
export function readEnv(cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> {
  const file = env.JARVIS_ENV_FILE ?? resolve(cwd, '.env');
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...env };
}

/** Values that must never reach a log line or a chat reply. */
export function secretsOf(config: Config): string[] {
  const t = config.trading;
  // RPC URLs often carry a provider key in the path or query.
  const rpcKeys = t.rpcUrls.flatMap((u) => {
    try {
      const x = new URL(u);
      return [x.pathname.length > 8 ? x.pathname.slice(1) : '', ...x.searchParams.values(), x.password].filter((v) => v.length >= 8);
    } catch {
      return [];
    }
  });
  return [config.telegram?.token, config.masterSecret, t.jupiter.apiKey, t.bags?.apiKey, config.cluster?.tokenSecret, config.llm.claude?.apiKey, config.llm.local?.apiKey, ...rpcKeys].filter((s): s is string => typeof s === 'string' && s.length >= 6);
}
