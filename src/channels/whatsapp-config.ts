import { z } from 'zod';
import { bool, int, num } from '../config-fields.js';

/**
 * The WhatsApp part of the environment. Merged into config.ts's schema; every value has a default
 * here and a row in docs/operations.md. Pacing defaults are deliberately slow: a linked personal
 * number that bursts gets flagged.
 */

/** Group ids: `120363...@g.us`, or the digits-and-dash part alone. */
const groupList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
  .refine((l) => l.every((g) => /^[0-9-]{5,64}(@g\.us)?$/.test(g)), { message: 'expected comma-separated group ids like 120363012345678901@g.us' })
  .transform((l) => l.map((g) => (g.endsWith('@g.us') ? g : `${g}@g.us`)));

export const whatsappEnv = {
  WHATSAPP_ENABLED: bool.default(false),
  WHATSAPP_ALLOWED_GROUPS: groupList.default([]),
  WHATSAPP_PAIRING_NUMBER: z
    .string()
    .transform((s) => s.replace(/[\s()+-]/g, ''))
    .refine((s) => /^\d{7,15}$/.test(s), { message: 'expected the phone number with country code, digits only (e.g. 447700900123)' })
    .optional(),
  WHATSAPP_PER_CHAT_PER_SEC: num(0.01, 10).default(1),
  WHATSAPP_GLOBAL_PER_MIN: num(1, 600).default(40),
  WHATSAPP_SEND_JITTER_MS: int(0, 10_000).default(600),
  WHATSAPP_SEND_WAIT_SEC: int(1, 3_600).default(60),
  WHATSAPP_RECONNECT_MAX_SEC: int(1, 3_600).default(60),
  WHATSAPP_WATCHDOG_SEC: int(0, 86_400).default(180),
};

export interface WhatsAppConfig {
  enabled: boolean;
  /** Group JIDs whose messages reach the chain; every other group is ignored. */
  allowedGroups: string[];
  /** For `jarvis whatsapp link`: print a pairing code for this number instead of a QR code. */
  pairingNumber?: string;
  perChatPerSec: number;
  globalPerMin: number;
  /** A random 0..jitterMs pause before each send, so a burst has no machine rhythm. */
  jitterMs: number;
  /** How long an outgoing message waits for a (re)connection before it fails. */
  sendWaitMs: number;
  reconnectBaseMs: number;
  reconnectMaxMs: number;
  /** A socket that has shown no traffic for this long is replaced (0: never). */
  watchdogMs: number;
  /** While unlinked, how often the daemon looks for a link made by `jarvis whatsapp link`. */
  linkPollMs: number;
}

const whatsappEnvSchema = z.object(whatsappEnv);
type WhatsAppEnv = z.infer<typeof whatsappEnvSchema>;

export function whatsappConfigFrom(e: WhatsAppEnv): WhatsAppConfig {
  return {
    enabled: e.WHATSAPP_ENABLED,
    allowedGroups: e.WHATSAPP_ALLOWED_GROUPS,
    pairingNumber: e.WHATSAPP_PAIRING_NUMBER,
    perChatPerSec: e.WHATSAPP_PER_CHAT_PER_SEC,
    globalPerMin: e.WHATSAPP_GLOBAL_PER_MIN,
    jitterMs: e.WHATSAPP_SEND_JITTER_MS,
    sendWaitMs: e.WHATSAPP_SEND_WAIT_SEC * 1000,
    reconnectBaseMs: 1_000,
    reconnectMaxMs: e.WHATSAPP_RECONNECT_MAX_SEC * 1000,
    watchdogMs: e.WHATSAPP_WATCHDOG_SEC * 1000,
    linkPollMs: 5_000,
  };
}
