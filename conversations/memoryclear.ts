import type { Flow } from '../src/core/flows.js';
import { confirmAnswer, flowButtonData } from '../src/core/flows.js';
import type { Ctx } from '../src/core/handler.js';

/**
 * `/memory clear` asks first: forgetting everything cannot be undone. The flow belongs to the
 * person who asked (flows are kept per channel, chat and user), and the step checks again that
 * the memories it clears are theirs.
 */

export async function askClearConfirm(ctx: Ctx, count: number): Promise<void> {
  const run = ctx.services.flows.start(ctx, 'memoryclear', 'confirm', { owner: ctx.key, count });
  await ctx.reply({
    text: `Forget all ${count} ${count === 1 ? 'memory' : 'memories'} I keep about you? This cannot be undone.`,
    buttons: [[{ label: 'Forget everything', data: flowButtonData('memoryclear', 'confirm', run, 'yes') }, { label: 'Cancel', data: flowButtonData('memoryclear', 'confirm', run, 'no') }]],
  });
}

const memoryClear: Flow = {
  name: 'memoryclear',
  role: 'user',
  // Notes about the person, not money, machines or files: clearing them works in lockdown too.
  effect: 'read',
  steps: {
    async confirm(ctx, input, data) {
      const answer = confirmAnswer(input, ['forget everything']);
      if (!answer) {
        await ctx.reply('Press Forget everything or Cancel (or send /cancel).');
        return { stay: true };
      }
      if (answer === 'no' || data.owner !== ctx.key) {
        await ctx.reply('Cancelled: nothing was forgotten.');
        return { done: true };
      }
      const n = ctx.services.memory.clear(ctx.key);
      await ctx.reply(n === 0 ? 'There was nothing left to forget.' : `Done: I forgot all ${n} ${n === 1 ? 'memory' : 'memories'} about you.`);
      return { done: true };
    },
  },
};

export default memoryClear;
