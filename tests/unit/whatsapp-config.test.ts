import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';

describe('WHATSAPP_* configuration', () => {
  it('is off by default, with slow pacing', () => {
    const r = parseConfig({});
    expect(r.ok && r.config.whatsapp).toMatchObject({ enabled: false, allowedGroups: [], perChatPerSec: 1, globalPerMin: 40, jitterMs: 600, reconnectMaxMs: 60_000, watchdogMs: 180_000 });
  });

  it('normalises group ids and the pairing number', () => {
    const r = parseConfig({ WHATSAPP_ENABLED: 'yes', WHATSAPP_ALLOWED_GROUPS: '120363000000000001@g.us, 120363000000000002', WHATSAPP_PAIRING_NUMBER: '+44 7700-900123' });
    expect(r.ok && r.config.whatsapp).toMatchObject({ enabled: true, allowedGroups: ['120363000000000001@g.us', '120363000000000002@g.us'], pairingNumber: '447700900123' });
  });

  it('names bad values without echoing them', () => {
    const r = parseConfig({ WHATSAPP_ALLOWED_GROUPS: 'friends', WHATSAPP_PAIRING_NUMBER: 'call me', WHATSAPP_PER_CHAT_PER_SEC: '50' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.split(':')[0]).sort()).toEqual(['WHATSAPP_ALLOWED_GROUPS', 'WHATSAPP_PAIRING_NUMBER', 'WHATSAPP_PER_CHAT_PER_SEC']);
    expect(r.errors.join()).not.toContain('call me');
  });
});
