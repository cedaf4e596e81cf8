import type { Services } from '../core/services.js';
import { UserError } from '../core/errors.js';
import { truncate } from '../core/render.js';
import { formatIdentity, parseIdentity, type GrantableRole, type Identity } from './roles.js';

/** Parses an identity argument or says what a valid one looks like. */
export function requireIdentity(text: string): Identity {
  const id = parseIdentity(text);
  if (!id) throw new UserError(`"${truncate(text, 40)}" is not an identity. Use channel:id, e.g. telegram:123456789 or whatsapp:447700900000.`);
  return id;
}

export function parseRole(text: string | undefined): GrantableRole | undefined {
  const t = (text ?? '').trim().toLowerCase();
  return t === 'admin' || t === 'user' ? t : undefined;
}

/** Grants a role from chat and audits it; returns the reply for the admin. */
export function grantRole(s: Services, actor: string, target: Identity, role: GrantableRole): string {
  const key = formatIdentity(target);
  if (key === actor && role !== 'admin') throw new UserError('You cannot lower your own role. Ask another admin.');
  try {
    s.roles.grant(target, role, actor);
  } catch (err) {
    s.audit.record({ actor, action: 'allow', target: key, outcome: 'refused', detail: (err as Error).message });
    throw err;
  }
  s.audit.record({ actor, action: 'allow', target: key, outcome: 'ok', detail: `role=${role}` });
  return `${key} is now ${role === 'admin' ? 'an admin' : 'a user'}.`;
}

export function revokeRole(s: Services, actor: string, target: Identity): string {
  const key = formatIdentity(target);
  if (key === actor) throw new UserError('You cannot remove yourself. Ask another admin.');
  let removed: boolean;
  try {
    removed = s.roles.revoke(target);
  } catch (err) {
    s.audit.record({ actor, action: 'deny', target: key, outcome: 'refused', detail: (err as Error).message });
    throw err;
  }
  s.audit.record({ actor, action: 'deny', target: key, outcome: removed ? 'ok' : 'noop' });
  return removed ? `${key} can no longer use Jarvis.` : `${key} had no access; nothing changed.`;
}
