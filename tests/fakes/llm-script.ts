import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * What the fake model servers (anthropic.ts, openai-compatible.ts) answer next: a queue of scripted
 * replies, then a default. Each fake turns a script into its own wire format over real HTTP on
 * 127.0.0.1, so the real clients (the Anthropic SDK, our fetch-based client) run unchanged.
 */
export interface ScriptedReply {
  /** Streamed in chunks of `chunkChars` characters. */
  text?: string;
  usage?: { input: number; output: number; cacheRead?: number; cacheWrite?: number };
  /** Answer this HTTP status (with the service's error body) instead of a stream. */
  status?: number;
  /** Stream this many characters, then fail mid-stream (Anthropic: an `overloaded_error` event; OpenAI: drop). */
  failAfterChars?: number;
  /** Accept the request and never answer. */
  hang?: boolean;
  chunkChars?: number;
  /** Pause between chunks. */
  delayMs?: number;
  /** Anthropic only: tool calls after the text (stop_reason 'tool_use'). */
  toolUses?: { name: string; input: unknown }[];
  /** Only for requests this accepts (e.g. chat, not a background call); others skip it in the queue. */
  when?: (body: Record<string, unknown>) => boolean;
}

export interface RecordedLlmRequest {
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

export abstract class ScriptedLlmServer {
  url = '';
  readonly requests: RecordedLlmRequest[] = [];
  readonly queue: ScriptedReply[] = [];
  /** When the queue is empty. */
  fallback: (body: Record<string, unknown>) => ScriptedReply = () => ({ text: 'ok', usage: { input: 10, output: 1 } });
  /** Refuse connections (as if the server were down). */
  down = false;
  private server?: Server;
  private readonly open = new Set<ServerResponse>();

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.onRequest(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  script(...replies: ScriptedReply[]): void {
    this.queue.push(...replies);
  }

  async close(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  protected abstract serve(reply: ScriptedReply, body: Record<string, unknown>, res: ServerResponse): Promise<void>;

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (this.down) {
      req.socket.destroy();
      return;
    }
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const body = (raw ? JSON.parse(raw) : {}) as Record<string, unknown>;
    this.requests.push({ path: req.url ?? '', headers: req.headers, body });
    const at = this.queue.findIndex((r) => !r.when || r.when(body));
    const reply = at >= 0 ? this.queue.splice(at, 1)[0]! : this.fallback(body);
    this.open.add(res);
    res.on('close', () => this.open.delete(res));
    if (reply.hang) return;
    await this.serve(reply, body, res);
  }
}

export function chunks(text: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

export const pause = (ms: number): Promise<void> => (ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve());
