import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { systemClock } from '../../core/clock.js';
import { probeJson } from './probe.js';
import { fail, pass, skip, type Check, type DoctorContext } from './types.js';

/** The chat channels: Telegram's token and polling, WhatsApp's link. */

interface BotAnswer {
  ok?: boolean;
  result?: Record<string, unknown>;
  error_code?: number;
  description?: string;
}

/** A Bot API method, answered or why not; the token stays inside the URL and never reaches a message. */
async function callBot(ctx: DoctorContext, method: string): Promise<{ answer: BotAnswer; status: number } | { unreachable: string }> {
  const t = ctx.config.telegram!;
  const r = await probeJson(`${t.apiRoot}/bot${t.token}/${method}`, { timeoutMs: ctx.timeoutMs, method: method === 'deleteWebhook' ? 'POST' : 'GET' });
  if (!r.ok) return { unreachable: r.reason };
  return { answer: (r.json ?? {}) as BotAnswer, status: r.status };
}

const rejected = (status: number) => status === 401 || status === 404;

export const telegramTokenCheck: Check = {
  name: 'telegram',
  network: true,
  async run(ctx) {
    if (!ctx.config.telegram) return skip('not configured (TELEGRAM_BOT_TOKEN is not set)');
    const r = await callBot(ctx, 'getMe');
    if ('unreachable' in r) return fail(`the Bot API does not answer: ${r.unreachable}`, 'check the network and TELEGRAM_API_ROOT');
    if (rejected(r.status)) return fail(`Telegram rejected TELEGRAM_BOT_TOKEN (${r.status})`, 'get the token again from @BotFather (/mybots → API Token) and put it in .env');
    const username = r.answer.result?.username;
    if (r.status !== 200 || !r.answer.ok || typeof username !== 'string') return fail(`getMe answered HTTP ${r.status}`, 'try again later; check TELEGRAM_API_ROOT');
    return pass(`token valid: @${username}`);
  },
};

export const telegramWebhookCheck: Check = {
  name: 'telegram poll',
  network: true,
  async run(ctx) {
    if (!ctx.config.telegram) return skip('not configured (TELEGRAM_BOT_TOKEN is not set)');
    const r = await callBot(ctx, 'getWebhookInfo');
    if ('unreachable' in r) return fail(`the Bot API does not answer: ${r.unreachable}`, 'check the network and TELEGRAM_API_ROOT');
    if (rejected(r.status)) return skip('the token was rejected (see above)');
    if (r.status !== 200 || !r.answer.ok) return fail(`getWebhookInfo answered HTTP ${r.status}`, 'try again later');
    const url = r.answer.result?.url;
    if (typeof url === 'string' && url !== '') {
      const pending = Number(r.answer.result?.pending_update_count ?? 0);
      return fail(`a webhook is set, so Telegram refuses polling (409) and Jarvis gets no messages (${pending} waiting)`, 'delete it (jarvis doctor --fix, or the Bot API\'s deleteWebhook); waiting messages are kept', {
        does: 'deleted the webhook (waiting messages kept)',
        apply: async () => {
          const d = await callBot(ctx, 'deleteWebhook');
          if ('unreachable' in d) throw new Error(`the Bot API does not answer: ${d.unreachable}`);
          if (d.status !== 200 || !d.answer.ok) throw new Error(`deleteWebhook answered HTTP ${d.status}`);
        },
      });
    }
    return pass('no webhook set: long polling works');
  },
};

export const whatsappCheck: Check = {
  name: 'whatsapp',
  async run({ config }) {
    if (!config.whatsapp?.enabled) return skip('not enabled (WHATSAPP_ENABLED is not true)');
    const link = 'link it: jarvis whatsapp link on the server (a QR code, or a pairing code with WHATSAPP_PAIRING_NUMBER)';
    if (!existsSync(config.dbPath)) return fail('enabled, but nothing is linked (no database yet)', link);
    const db = new Database(config.dbPath, { readonly: true, fileMustExist: true });
    try {
      if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'whatsapp_auth'").get()) {
        return fail('enabled, but nothing is linked (the WhatsApp tables are not there yet: start Jarvis once or run jarvis migrate)', link);
      }
      // Loaded here, not at the top: Baileys is large and only this check needs it.
      const { WhatsAppAuthStore } = await import('../../channels/whatsapp-auth-store.js');
      const me = new WhatsAppAuthStore(db, systemClock).linkedAs();
      if (!me) return fail('enabled, but no device is linked', link);
      return pass(`linked as ${me.split('@')[0]!.split(':')[0]}`);
    } finally {
      db.close();
    }
  },
};

