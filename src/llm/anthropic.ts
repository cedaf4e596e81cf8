import Anthropic, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from '@anthropic-ai/sdk';
import { LlmError, type AgentProvider, type AgentRequest, type AgentResult, type ContentBlock, type LlmProvider, type LlmRequest, type LlmResult, type LlmUsage } from './types.js';

/**
 * Claude through the Messages API, streamed. The system prompt is the cached prefix
 * (`cache_control`), per-turn context follows it uncached. The SDK's own retries are off: the LLM
 * service decides what is worth retrying and where (the other provider, or once more).
 */

export interface AnthropicOptions {
  apiKey: string;
  baseUrl: string;
  model: string;
  timeoutMs: number;
}

export class AnthropicProvider implements LlmProvider, AgentProvider {
  readonly name = 'claude' as const;
  readonly model: string;
  private readonly client: Anthropic;
  private readonly timeoutMs: number;

  constructor(opts: AnthropicOptions) {
    this.model = opts.model;
    this.timeoutMs = opts.timeoutMs;
    this.client = new Anthropic({ apiKey: opts.apiKey, baseURL: opts.baseUrl, maxRetries: 0, timeout: opts.timeoutMs });
  }

  async complete(req: LlmRequest): Promise<LlmResult> {
    const system: Anthropic.TextBlockParam[] = [];
    if (req.system) system.push({ type: 'text', text: req.system, cache_control: { type: 'ephemeral' } });
    if (req.context) system.push({ type: 'text', text: req.context });
    const signal = req.signal ? AbortSignal.any([req.signal, AbortSignal.timeout(this.timeoutMs)]) : AbortSignal.timeout(this.timeoutMs);
    const usage: LlmUsage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    let text = '';
    let stopReason: string | undefined;
    try {
      const stream = await this.client.messages.create(
        {
          model: this.model,
          max_tokens: req.maxTokens,
          ...(system.length ? { system } : {}),
          ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
          messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
          stream: true,
        },
        { signal },
      );
      for await (const ev of stream) {
        if (ev.type === 'message_start') {
          Object.assign(usage, startUsage(ev.message.usage));
        } else if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') {
          text += ev.delta.text;
          req.onText?.(ev.delta.text);
        } else if (ev.type === 'message_delta') {
          usage.outputTokens = ev.usage.output_tokens ?? usage.outputTokens;
          stopReason = ev.delta.stop_reason ?? stopReason;
        }
      }
    } catch (err) {
      throw withUsage(this.toLlmError(err, req.signal), usage, text.length);
    }
    return { text, provider: 'claude', model: this.model, usage, ...(stopReason ? { stopReason } : {}) };
  }

  /**
   * One step of a tool-using conversation, streamed: text deltas go to onText, tool calls come back
   * as tool_use blocks with their parsed input. System prompt and tools form the cached prefix
   * (cache_control on the system block and on the last tool).
   */
  async converse(req: AgentRequest): Promise<AgentResult> {
    const system: Anthropic.TextBlockParam[] = [{ type: 'text', text: req.system, cache_control: { type: 'ephemeral' } }];
    if (req.context) system.push({ type: 'text', text: req.context });
    const tools: Anthropic.Tool[] = req.tools.map((t, i) => ({
      name: t.name,
      description: t.description,
      input_schema: t.inputSchema as Anthropic.Tool.InputSchema,
      ...(i === req.tools.length - 1 ? { cache_control: { type: 'ephemeral' as const } } : {}),
    }));
    const signal = req.signal ? AbortSignal.any([req.signal, AbortSignal.timeout(this.timeoutMs)]) : AbortSignal.timeout(this.timeoutMs);
    const usage: LlmUsage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    const blocks: ({ kind: 'text'; text: string } | { kind: 'tool'; id: string; name: string; json: string })[] = [];
    let stopReason = 'end_turn';
    try {
      const stream = await this.client.messages.create(
        { model: this.model, max_tokens: req.maxTokens, system, tools, messages: req.messages.map(toAnthropicMessage), stream: true },
        { signal },
      );
      for await (const ev of stream) {
        if (ev.type === 'message_start') {
          Object.assign(usage, startUsage(ev.message.usage));
        } else if (ev.type === 'content_block_start') {
          const b = ev.content_block;
          if (b.type === 'tool_use') blocks[ev.index] = { kind: 'tool', id: b.id, name: b.name, json: '' };
          else if (b.type === 'text') blocks[ev.index] = { kind: 'text', text: b.text ?? '' };
        } else if (ev.type === 'content_block_delta') {
          const b = blocks[ev.index];
          if (ev.delta.type === 'text_delta' && b?.kind === 'text') {
            b.text += ev.delta.text;
            req.onText?.(ev.delta.text);
          } else if (ev.delta.type === 'input_json_delta' && b?.kind === 'tool') b.json += ev.delta.partial_json;
        } else if (ev.type === 'message_delta') {
          usage.outputTokens = ev.usage.output_tokens ?? usage.outputTokens;
          stopReason = ev.delta.stop_reason ?? stopReason;
        }
      }
    } catch (err) {
      throw withUsage(this.toLlmError(err, req.signal), usage, blocks.reduce((n, b) => n + (b ? (b.kind === 'text' ? b.text.length : b.json.length) : 0), 0));
    }
    const content: ContentBlock[] = [];
    for (const b of blocks) {
      if (!b) continue;
      if (b.kind === 'text') {
        if (b.text) content.push({ type: 'text', text: b.text });
        continue;
      }
      let input: unknown = {};
      try {
        input = b.json.trim() ? JSON.parse(b.json) : {};
      } catch {
        throw new LlmError('bad_response', 'Claude sent a tool call Jarvis could not read.', 'claude');
      }
      content.push({ type: 'tool_use', id: b.id, name: b.name, input });
    }
    return { content, stopReason, model: this.model, usage };
  }

  private toLlmError(err: unknown, caller?: AbortSignal): LlmError {
    if (err instanceof LlmError) return err;
    if (err instanceof APIUserAbortError || (err instanceof Error && err.name === 'AbortError')) {
      if (caller?.aborted) return new LlmError('unavailable', 'The request was stopped.', 'claude', { cause: err });
      return new LlmError('timeout', `Claude did not finish within ${Math.round(this.timeoutMs / 1000)} s.`, 'claude', { cause: err });
    }
    if (err instanceof APIConnectionTimeoutError) return new LlmError('timeout', `Claude did not answer within ${Math.round(this.timeoutMs / 1000)} s.`, 'claude', { cause: err });
    if (err instanceof APIConnectionError) return new LlmError('unavailable', 'Claude could not be reached.', 'claude', { cause: err });
    if (err instanceof APIError) {
      const type = err.type ?? '';
      if (type === 'overloaded_error' || err.status === 529) return new LlmError('overloaded', 'Claude is overloaded right now.', 'claude', { cause: err });
      if (err.status === 401 || err.status === 403 || type === 'authentication_error' || type === 'permission_error') return new LlmError('auth', 'Claude refused the API key (check ANTHROPIC_API_KEY).', 'claude', { cause: err });
      if (err.status === 429 || type === 'rate_limit_error') return new LlmError('rate_limited', 'Claude is rate-limiting Jarvis; try again in a minute.', 'claude', { cause: err });
      if (err.status === 400 || err.status === 413 || type === 'invalid_request_error') return new LlmError('bad_request', 'Claude could not take that request (it may be too long).', 'claude', { cause: err });
      return new LlmError('unavailable', `Claude failed (${err.status ?? type ?? 'error'}).`, 'claude', { cause: err });
    }
    return new LlmError('bad_response', 'Claude sent an answer Jarvis could not read.', 'claude', { cause: err });
  }
}

function toAnthropicMessage(m: AgentRequest['messages'][number]): Anthropic.MessageParam {
  return {
    role: m.role,
    content: m.content.map((b): Anthropic.ContentBlockParam => {
      if (b.type === 'text') return { type: 'text', text: b.text };
      if (b.type === 'tool_use') return { type: 'tool_use', id: b.id, name: b.name, input: b.input as Record<string, unknown> };
      return { type: 'tool_result', tool_use_id: b.toolUseId, content: b.content, ...(b.isError ? { is_error: true } : {}) };
    }),
  };
}

/** Input-side usage as message_start reports it (output tokens follow in message_delta). */
function startUsage(u: Anthropic.Usage): LlmUsage {
  return { inputTokens: u.input_tokens ?? 0, outputTokens: u.output_tokens ?? 0, cacheReadTokens: u.cache_read_input_tokens ?? 0, cacheWriteTokens: u.cache_creation_input_tokens ?? 0 };
}

/**
 * Puts what a failed or stopped call had used on its error, so the ledger and budgets count it:
 * the usage reported so far, with output tokens estimated from what streamed (about 4 characters
 * a token) when the closing count never came.
 */
function withUsage(e: LlmError, usage: LlmUsage, streamedChars: number): LlmError {
  const used = { ...usage, outputTokens: Math.max(usage.outputTokens, Math.ceil(streamedChars / 4)) };
  if (used.inputTokens + used.outputTokens + used.cacheReadTokens + used.cacheWriteTokens > 0) e.usage = used;
  return e;
}
