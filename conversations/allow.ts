import type { Flow } from '../src/core/flows.js';
import { flowButtonData } from '../src/core/flows.js';
import { grantRole, parseRole } from '../src/access/grants.js';
import { parseIdentity } from '../src/access/roles.js';
import type { Outbound } from '../src/core/message.js';

/** The role question with its buttons, for this run of the flow. */
export function roleQuestion(target: string, run: string): Outbound {
  return {
    text: `Which role for ${target}?`,
    buttons: [[{ label: 'User', data: flowButtonData('allow', 'role', run, 'user') }, { label: 'Admin', data: flowButtonData('allow', 'role', run, 'admin') }]],
  };
}

/** /allow without arguments: ask who, then which role. */
const allowFlow: Flow = {
  name: 'allow',
  role: 'admin',
  effect: 'read',
  steps: {
    async who(ctx, input, _data, run) {
      const id = input.kind === 'text' ? parseIdentity(input.text) : undefined;
      if (!id) {
        await ctx.reply('That is not an id like telegram:123456789 or whatsapp:447700900000. Try again, or /cancel.');
        return { stay: true };
      }
      const target = `${id.channel}:${id.userId}`;
      await ctx.reply(roleQuestion(target, run));
      return { next: 'role', data: { target } };
    },
    async role(ctx, input, data) {
      const role = parseRole(input.kind === 'choice' ? input.value : input.text);
      const target = parseIdentity(String(data.target ?? ''));
      if (!target) return { done: true };
      if (!role) {
        await ctx.reply('Press User or Admin (or type it), or /cancel.');
        return { stay: true };
      }
      await ctx.reply(grantRole(ctx.services, ctx.key, target, role));
      return { done: true };
    },
  },
};

export default allowFlow;
