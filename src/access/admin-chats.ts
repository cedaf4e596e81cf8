import { parseIdentity, type Roles } from './roles.js';

/** Where an admin is told something: their own private chat (its id is the user's id). */
export interface AdminChat {
  key: string;
  chatId: string;
}

/** Every admin (owners and those granted from chat), each in their own private chat. */
export function adminChats(roles: Roles): AdminChat[] {
  return roles
    .list()
    .filter((u) => u.role === 'admin')
    .flatMap((u) => {
      const id = parseIdentity(u.key);
      return id ? [{ key: u.key, chatId: id.userId }] : [];
    });
}
