import { parseIdentity, type Roles } from './roles.js';

/** Every admin (owners and those granted from chat), each in their own private chat (its id is the user's id). */
export function adminChats(roles: Roles): { key: string; chatId: string }[] {
  return roles
    .list()
    .filter((u) => u.role === 'admin')
    .flatMap((u) => {
      const id = parseIdentity(u.key);
      return id ? [{ key: u.key, chatId: id.userId }] : [];
    });
}
