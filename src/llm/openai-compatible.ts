import { z } from 'zod';
import { LlmError, type LlmProvider, type LlmRequest, type LlmResult, type LlmUsage } from './types.js';

/**
 * A local model behind an OpenAI-compatible server (llama.cpp's server, Ollama, vLLM):
 * POST {LOCAL_LLM_URL}/chat/completions with `stream: true`, read as server-sent events. The
 * usage comes from the last chunk (`stream_options.include_usage`); a server that sends none is
 * charged by an estimate (4 characters a token), which is logged as such by the ledger.
 */

export interface OpenAiCompatibleOptions {
  /** Base including the version, e.g. http://127.0.0.1:8080/v1 or http://127.0.0.1:11434/v1. */
  url: string;
  model: string;
  apiKey?: string;
  timeoutMs: number;
}

const chunkSchema = z.object({
  choices: z
    .array(z.object({ delta: z.object({ content: z.string().nullish() }).partial().nullish(), finish_reason: z.string().nullish() }))
    .default([]),
  usage: z.object({ prompt_tokens: z.number().int().nonnegative(), completion_tokens: z.number().int().nonnegative() }).nullish(),
});

export class OpenAiCompatibleProvider implements LlmProvider {
  readonly name = 'local' as const;
  readonly model: string;

  constructor(private readonly opts: OpenAiCompatibleOptions) {
    this.model = opts.model;
  }

  async complete(req: LlmRequest): Promise<LlmResult> {
    const system = [req.system, req.context].filter(Boolean).join('\n\n');
    const messages = [...(system ? [{ role: 'system', content: system }] : []), ...req.messages];
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    let res: Response;
    try {
      res = await fetch(`${this.opts.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}) },
        body: JSON.stringify({
          model: this.model,
          messages,
          max_tokens: req.maxTokens,
          ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
          stream: true,
          stream_options: { include_usage: true },
        }),
        signal,
      });
    } catch (err) {
      throw this.failure(err, req.signal, timeout);
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      throw this.statusError(res.status);
    }
    let text = '';
    let stopReason: string | undefined;
    let reported: LlmUsage | undefined;
    try {
      for await (const data of serverSentData(res)) {
        if (data === '[DONE]') break;
        let json: unknown;
        try {
          json = JSON.parse(data);
        } catch {
          throw new LlmError('bad_response', 'The local model sent an answer Jarvis could not read.', 'local');
        }
        const chunk = chunkSchema.safeParse(json);
        if (!chunk.success) throw new LlmError('bad_response', 'The local model sent an answer Jarvis could not read.', 'local');
        for (const choice of chunk.data.choices) {
          const delta = choice.delta?.content;
          if (delta) {
            text += delta;
            req.onText?.(delta);
          }
          if (choice.finish_reason) stopReason = choice.finish_reason;
        }
        if (chunk.data.usage) reported = { inputTokens: chunk.data.usage.prompt_tokens, outputTokens: chunk.data.usage.completion_tokens, cacheReadTokens: 0, cacheWriteTokens: 0 };
      }
    } catch (err) {
      throw this.failure(err, req.signal, timeout);
    }
    const usage = reported ?? {
      inputTokens: Math.ceil(messages.reduce((n, m) => n + m.content.length, 0) / 4),
      outputTokens: Math.ceil(text.length / 4),
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    };
    return { text, provider: 'local', model: this.model, usage, ...(stopReason ? { stopReason } : {}) };
  }

  private statusError(status: number): LlmError {
    if (status === 401 || status === 403) return new LlmError('auth', `The local model refused the request (${status}); check LOCAL_LLM_API_KEY.`, 'local');
    if (status === 429) return new LlmError('rate_limited', 'The local model is busy; try again shortly.', 'local');
    if (status === 400 || status === 413) return new LlmError('bad_request', 'The local model could not take that request (it may be too long).', 'local');
    if (status === 404) return new LlmError('unavailable', 'The local model server has no chat endpoint there; check LOCAL_LLM_URL (it should end in /v1).', 'local');
    return new LlmError('unavailable', `The local model failed (HTTP ${status}).`, 'local');
  }

  private failure(err: unknown, caller: AbortSignal | undefined, timeout: AbortSignal): LlmError {
    if (err instanceof LlmError) return err;
    if (timeout.aborted && !caller?.aborted) return new LlmError('timeout', `The local model did not finish within ${Math.round(this.opts.timeoutMs / 1000)} s.`, 'local', { cause: err });
    if (caller?.aborted) return new LlmError('unavailable', 'The request was stopped.', 'local', { cause: err });
    return new LlmError('unavailable', 'The local model could not be reached.', 'local', { cause: err });
  }
}

/** The `data:` payloads of a text/event-stream body, one per event. */
async function* serverSentData(res: Response): AsyncGenerator<string> {
  if (!res.body) return;
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buf.search(/\r?\n\r?\n/)) >= 0) {
      const event = buf.slice(0, end);
      buf = buf.slice(end).replace(/^\r?\n\r?\n/, '');
      const data = event
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''))
        .join('\n');
      if (data) yield data;
    }
  }
  const rest = buf.trim();
  if (rest.startsWith('data:')) yield rest.slice(5).trim();
}
