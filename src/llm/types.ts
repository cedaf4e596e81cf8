/**
 * The provider-neutral shape of a model call. Providers (anthropic.ts, openai-compatible.ts) turn
 * it into their wire format; the router (router.ts) picks one; the ledger (ledger.ts) prices the
 * usage it reports. Nothing above src/llm/ knows which model answered.
 */

export type ProviderName = 'claude' | 'local';

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface LlmRequest {
  /** The stable prefix (instructions). Anthropic caches it; it must not carry per-turn data. */
  system?: string;
  /** Per-turn context that follows the cached prefix (recalled memories, the time...). */
  context?: string;
  messages: ChatMessage[];
  maxTokens: number;
  temperature?: number;
  signal?: AbortSignal;
  /** Text as it streams in; the final result still carries the whole text. */
  onText?: (delta: string) => void;
}

export interface LlmUsage {
  inputTokens: number;
  outputTokens: number;
  /** Anthropic prompt caching: tokens read from / written to the cache (0 elsewhere). */
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export interface LlmResult {
  text: string;
  provider: ProviderName;
  model: string;
  usage: LlmUsage;
  stopReason?: string;
}

/** One model behind one interface. */
export interface LlmProvider {
  readonly name: ProviderName;
  readonly model: string;
  complete(req: LlmRequest): Promise<LlmResult>;
}

export type LlmErrorKind =
  /** Not configured, connection refused, DNS, 5xx: try the other provider. */
  | 'unavailable'
  | 'timeout'
  /** 401/403: the key is wrong. */
  | 'auth'
  | 'rate_limited'
  /** Anthropic's overloaded_error (529), also mid-stream. */
  | 'overloaded'
  /** 400: our request was wrong (too long, bad parameter): the other provider will not help. */
  | 'bad_request'
  /** An answer Jarvis could not read. */
  | 'bad_response'
  /** A cost budget is used up. */
  | 'budget';

/** A model call that failed, with one sentence safe to show a person. */
export class LlmError extends Error {
  override readonly name = 'LlmError';
  /**
   * What the call used before it failed or was stopped (the provider bills it): the input the API
   * reported at the start, and output tokens as far as they were counted or streamed.
   */
  usage?: LlmUsage;
  constructor(
    readonly kind: LlmErrorKind,
    readonly userMessage: string,
    readonly provider?: ProviderName,
    options?: { cause?: unknown },
  ) {
    super(`llm${provider ? ` ${provider}` : ''}: ${kind}: ${userMessage}`, options);
  }
}

/** Whether trying the other provider could help. */
export function isRetryableElsewhere(err: unknown): boolean {
  return err instanceof LlmError && ['unavailable', 'timeout', 'rate_limited', 'overloaded', 'bad_response', 'auth'].includes(err.kind);
}

/**
 * The smallest thing a module needs to ask a model for text (memory extraction, summaries): one
 * system prompt, one user message, the answer's text. The LLM service provides it, routed and
 * charged to `userKey`'s budget.
 */
export type CompleteText = (userKey: string, system: string, user: string, opts?: { maxTokens?: number; signal?: AbortSignal }) => Promise<string>;

/** A tool the model may call (Anthropic tool use): name, what it does, JSON schema of its input. */
export interface ToolSpec {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

export type ContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'tool_result'; toolUseId: string; content: string; isError?: boolean };

export interface AgentMessage {
  role: 'user' | 'assistant';
  content: ContentBlock[];
}

/** One model step of an agent loop: the model answers with text and/or tool calls. */
export interface AgentRequest {
  /** Stable: cached together with the tools. */
  system: string;
  /** Per-session context after the cached prefix (a summary of older turns). */
  context?: string;
  tools: ToolSpec[];
  messages: AgentMessage[];
  maxTokens: number;
  signal?: AbortSignal;
  onText?: (delta: string) => void;
}

export interface AgentResult {
  content: ContentBlock[];
  /** 'tool_use' when the model wants tool results before it goes on. */
  stopReason: string;
  model: string;
  usage: LlmUsage;
}

/** A provider that can run tools (Claude). */
export interface AgentProvider {
  converse(req: AgentRequest): Promise<AgentResult>;
}
