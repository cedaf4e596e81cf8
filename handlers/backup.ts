import type { Handler } from '../src/core/handler.js';
import { formatBytes } from '../src/core/render.js';

/**
 * /backup takes an online backup now. Declared `read`: it changes no money, machines or data
 * (the copy is read from the database and written beside it), and a backup is exactly what an
 * admin may want during a lockdown.
 */
const backup: Handler = {
  name: 'backup',
  priority: 240,
  commands: [{ name: 'backup', description: 'Back up the database now', role: 'admin', effect: 'read' }],
  async handle(ctx, next) {
    if (ctx.command?.name !== 'backup') return next();
    const { backups, audit } = ctx.services;
    try {
      const r = await backups.take();
      audit.record({ actor: ctx.key, action: 'backup', target: r.name, outcome: 'ok' });
      const rotated = r.removed.length ? ` Removed ${r.removed.length} older (keeping ${backups.config.keep}).` : '';
      await ctx.reply(`Backup saved: ${r.name} (${formatBytes(r.bytes)}, took ${r.ms} ms).${rotated}`);
    } catch (err) {
      audit.record({ actor: ctx.key, action: 'backup', outcome: 'error', detail: err instanceof Error ? err.message : String(err) });
      throw err;
    }
  },
};

export default backup;
