import { telegramTokenCheck, telegramWebhookCheck, whatsappCheck } from './channel-checks.js';
import { proxmoxCheck } from './cluster-checks.js';
import { backupAgeCheck, pm2Check, sandboxCheck, secretFilesCheck } from './host-checks.js';
import { anthropicCheck, localModelCheck } from './llm-checks.js';
import { dataDirCheck, diskCheck, integrityCheck, migrationsCheck } from './storage-checks.js';
import { bagsCheck, jupiterCheck, solanaRpcCheck } from './trading-checks.js';
import { liveExitsCheck } from './live-exits-check.js';
import type { Check } from './types.js';

/**
 * Every check, in the order they are printed (and repaired: the folders before the database,
 * the database before its file mode). docs/operations.md lists them with their fixes.
 */
export const CHECKS: readonly Check[] = [
  dataDirCheck,
  diskCheck,
  migrationsCheck,
  integrityCheck,
  telegramTokenCheck,
  telegramWebhookCheck,
  whatsappCheck,
  anthropicCheck,
  localModelCheck,
  jupiterCheck,
  bagsCheck,
  solanaRpcCheck,
  liveExitsCheck,
  proxmoxCheck,
  sandboxCheck,
  secretFilesCheck,
  backupAgeCheck,
  pm2Check,
];
