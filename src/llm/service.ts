import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { formatDuration } from '../core/render.js';
import type { LlmConfig } from './config.js';
import type { Budgets, BudgetLimit } from './budget.js';
import { costNanos, type Ledger } from './ledger.js';
import { routeMessage, type RouteDecision } from './router.js';
import { isRetryableElsewhere, LlmError, type AgentProvider, type AgentRequest, type AgentResult, type CompleteText, type LlmProvider, type LlmRequest, type LlmResult, type ProviderName } from './types.js';

/**
 * Every model call goes through here: pick the provider (router.ts, or the caller's need), check
 * the Claude budgets first, call, fall back to the other provider when one fails, retry once an
 * overloaded one, and write each attempt to the ledger with its cost and why it was chosen.
 */

export interface AskOptions {
  userKey: string;
  /** What the call is for, kept in the ledger: 'chat', 'memory', 'vibe'. */
  purpose: string;
  /** The router's decision, when the caller has made it already; by default the last user message is routed. */
  route?: RouteDecision;
  /** Skip the router: this call needs this provider (tool use needs Claude). */
  prefer?: ProviderName;
  /** Whether the other provider may answer when the chosen one fails or is over budget (default true). */
  fallback?: boolean;
  /** Called before a retry or fallback if the failed attempt had already streamed text. */
  onReset?: () => void;
}

export interface AskResult extends LlmResult {
  route: RouteDecision;
  /** Set when the provider that answered is not the one the router chose. */
  fellBackFrom?: ProviderName;
}

export interface LlmServiceDeps {
  providers: Partial<Record<ProviderName, LlmProvider>>;
  ledger: Ledger;
  budgets: Budgets;
  config: LlmConfig;
  clock: Clock;
  log: Logger;
}

const OTHER: Record<ProviderName, ProviderName> = { claude: 'local', local: 'claude' };
const ZERO_USAGE = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };

export class LlmService {
  constructor(readonly d: LlmServiceDeps) {}

  /** Whether any model is set up. */
  get configured(): boolean {
    return Object.keys(this.d.providers).length > 0;
  }

  has(provider: ProviderName): boolean {
    return this.d.providers[provider] !== undefined;
  }

  route(text: string): RouteDecision {
    return routeMessage(text, this.d.config.route);
  }

  async ask(req: LlmRequest, opts: AskOptions): Promise<AskResult> {
    const { providers, clock } = this.d;
    const lastUser = [...req.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    const chosen: RouteDecision = opts.prefer ? { provider: opts.prefer, reason: `needed by ${opts.purpose}` } : (opts.route ?? this.route(lastUser));
    const order = (opts.fallback === false ? [chosen.provider] : [chosen.provider, OTHER[chosen.provider]]).filter((p) => providers[p]);
    if (order.length === 0) {
      throw new LlmError('unavailable', opts.fallback === false && this.configured ? `This needs ${chosen.provider === 'claude' ? 'Claude (set ANTHROPIC_API_KEY)' : 'the local model (set LOCAL_LLM_URL)'}.` : 'No AI model is set up: set ANTHROPIC_API_KEY and/or LOCAL_LLM_URL (see docs/brain.md).');
    }
    let lastError: LlmError | undefined;
    let blocked: BudgetLimit | undefined;
    let streamed = false;
    const request: LlmRequest = {
      ...req,
      onText: (delta) => {
        streamed = true;
        req.onText?.(delta);
      },
    };
    for (const name of order) {
      const provider = providers[name]!;
      const reason = name === chosen.provider ? chosen.reason : blocked ? `${chosen.provider} over ${blocked.scope} budget` : lastError ? `${chosen.provider} failed (${lastError.kind})` : `${chosen.provider} not set up`;
      if (name === 'claude') {
        blocked = this.d.budgets.blocking(opts.userKey, this.estimate(req), clock.now());
        if (blocked) {
          this.d.log.info({ user: opts.userKey, scope: blocked.scope }, 'claude budget reached');
          continue;
        }
      }
      for (let attempt = 1; attempt <= 2; attempt++) {
        if (streamed) {
          streamed = false;
          opts.onReset?.();
        }
        const t0 = clock.now();
        try {
          const res = await provider.complete(request);
          this.record(opts, res.provider, res.model, res.usage, 'ok', reason, clock.now() - t0);
          return { ...res, route: { provider: name, reason }, ...(name !== chosen.provider ? { fellBackFrom: chosen.provider } : {}) };
        } catch (err) {
          const e = err instanceof LlmError ? err : new LlmError('bad_response', 'The model failed unexpectedly.', name, { cause: err });
          if (!(err instanceof LlmError)) this.d.log.error({ err, provider: name }, 'model call failed unexpectedly');
          this.record(opts, name, provider.model, e.usage ?? ZERO_USAGE, e.kind, reason, clock.now() - t0);
          lastError = e;
          if (req.signal?.aborted || !isRetryableElsewhere(e)) throw e;
          // An overloaded model often answers a moment later: once more before moving on.
          if (e.kind === 'overloaded' && attempt === 1) continue;
          break;
        }
      }
    }
    if (lastError) throw lastError;
    throw new LlmError('budget', `${budgetSentence(blocked!, clock.now())}${providers.local ? '' : ' No local model is set up to answer instead.'}`, 'claude');
  }

  /**
   * One step of a tool-using conversation (/vibe). Tools need Claude, so there is no fallback; the
   * person's budgets are checked first against the step's worst case, an overloaded Claude is
   * asked once more, and every attempt goes to the ledger.
   */
  async converse(req: AgentRequest, opts: { userKey: string; purpose: string; onReset?: () => void }): Promise<AgentResult> {
    const provider = this.d.providers.claude as (LlmProvider & Partial<AgentProvider>) | undefined;
    if (!provider?.converse) throw new LlmError('unavailable', 'This needs Claude: set ANTHROPIC_API_KEY (see docs/brain.md).', 'claude');
    const { clock } = this.d;
    const chars = req.system.length + (req.context?.length ?? 0) + JSON.stringify(req.tools).length + JSON.stringify(req.messages).length;
    const estimate = costNanos({ inputTokens: Math.ceil(chars / 4), outputTokens: req.maxTokens, cacheReadTokens: 0, cacheWriteTokens: 0 }, this.d.config.prices.claude);
    const blocked = this.d.budgets.blocking(opts.userKey, estimate, clock.now());
    if (blocked) throw new LlmError('budget', budgetSentence(blocked, clock.now()), 'claude');
    let streamed = false;
    const request: AgentRequest = {
      ...req,
      onText: (delta) => {
        streamed = true;
        req.onText?.(delta);
      },
    };
    for (let attempt = 1; ; attempt++) {
      const t0 = clock.now();
      try {
        const res = await provider.converse(request);
        this.record({ userKey: opts.userKey, purpose: opts.purpose }, 'claude', res.model, res.usage, 'ok', 'tools need Claude', clock.now() - t0);
        return res;
      } catch (err) {
        const e = err instanceof LlmError ? err : new LlmError('bad_response', 'The model failed unexpectedly.', 'claude', { cause: err });
        this.record({ userKey: opts.userKey, purpose: opts.purpose }, 'claude', provider.model, e.usage ?? ZERO_USAGE, e.kind, 'tools need Claude', clock.now() - t0);
        if (e.kind !== 'overloaded' || attempt > 1 || req.signal?.aborted) throw e;
        if (streamed) {
          streamed = false;
          opts.onReset?.();
        }
      }
    }
  }

  /** For modules that need plain text (memory extraction): the local model when there is one. */
  readonly completeText: CompleteText = async (userKey, system, user, opts = {}) => {
    const res = await this.ask(
      { system, messages: [{ role: 'user', content: user }], maxTokens: opts.maxTokens ?? 512, temperature: 0, ...(opts.signal ? { signal: opts.signal } : {}) },
      { userKey, purpose: 'memory', prefer: this.has('local') ? 'local' : 'claude' },
    );
    return res.text;
  };

  /** The worst case of a Claude call: its whole input at the input price, and every output token it may write. */
  private estimate(req: LlmRequest): number {
    const chars = (req.system?.length ?? 0) + (req.context?.length ?? 0) + req.messages.reduce((n, m) => n + m.content.length, 0);
    return costNanos({ inputTokens: Math.ceil(chars / 4), outputTokens: req.maxTokens, cacheReadTokens: 0, cacheWriteTokens: 0 }, this.d.config.prices.claude);
  }

  private record(opts: Pick<AskOptions, 'userKey' | 'purpose'>, provider: ProviderName, model: string, usage: LlmResult['usage'], outcome: string, reason: string, ms: number): void {
    try {
      this.d.ledger.record({ at: this.d.clock.now(), userKey: opts.userKey, provider, model, purpose: opts.purpose, usage, costNanos: costNanos(usage, this.d.config.prices[provider]), outcome, reason, ms });
    } catch (err) {
      this.d.log.error({ err }, 'could not write the LLM ledger');
    }
  }
}

export function budgetSentence(b: BudgetLimit, now: number): string {
  return `Claude is paused for you: ${b.scope} budget of $${b.limitUsd.toFixed(2)} is used up ($${b.spentUsd.toFixed(2)} spent); it resets in ${formatDuration(b.resetsAt - now)}.`;
}
