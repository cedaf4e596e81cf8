import type { Handler } from '../src/core/handler.js';
import { parseFlowButton, type FlowInput } from '../src/core/flows.js';
import { roleAtLeast } from '../src/access/roles.js';

export const EXPIRED_BUTTON = 'This button has expired. Start again with the command.';

/**
 * Feeds plain text and flow buttons to the caller's active flow. Commands pass through, so
 * /cancel and /help work in the middle of a flow.
 */
const conversation: Handler = {
  name: 'conversation',
  priority: 40,
  callbacks: [{ prefix: 'flow:', role: 'user', effect: 'read' }],
  async handle(ctx, next) {
    if (ctx.command) return next();
    // A file with no caption is not an answer to a flow's question.
    if (ctx.inbound.file && ctx.inbound.text === undefined) return next();
    const cb = ctx.inbound.callback;
    const button = cb ? parseFlowButton(cb.data) : undefined;
    if (cb && !button) return next();
    const { flows, lockdown } = ctx.services;
    const active = flows.active(ctx);
    if (!active || (button && (button.flow !== active.flow || button.step !== active.step || button.run !== active.run))) {
      if (!button) return next();
      ctx.outcome = 'ignored';
      await ctx.answerCallback(EXPIRED_BUTTON);
      return;
    }
    const flow = flows.get(active.flow)!;
    if (!roleAtLeast(ctx.role, flow.role)) {
      flows.cancel(ctx);
      ctx.outcome = 'denied';
      await ctx.reply('Your access changed, so that flow was cancelled.');
      return;
    }
    if (flow.effect === 'act') lockdown.assertOff('Continuing this flow');
    if (cb) await ctx.answerCallback();
    const input: FlowInput = button ? { kind: 'choice', value: button.value } : { kind: 'text', text: ctx.inbound.text ?? '' };
    if (!(await flows.advance(ctx, active, input))) {
      ctx.outcome = 'ignored';
      if (!button) await ctx.reply('One moment: I am still on your previous answer.');
    }
  },
};

export default conversation;
