import type { ServerResponse } from 'node:http';
import { chunks, pause, ScriptedLlmServer, type ScriptedReply } from './llm-script.js';

/**
 * A fake OpenAI-compatible server (what llama.cpp, Ollama and vLLM expose): POST
 * /v1/chat/completions with `stream: true`, answered as `data: {chunk}` lines, a final chunk with
 * `usage` when `stream_options.include_usage` is set, then `data: [DONE]`.
 */
export class FakeOpenAiCompatible extends ScriptedLlmServer {
  protected async serve(reply: ScriptedReply, body: Record<string, unknown>, res: ServerResponse): Promise<void> {
    if (reply.status) {
      res.writeHead(reply.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `fake error ${reply.status}`, type: 'server_error' } }));
      return;
    }
    const text = reply.text ?? '';
    const usage = reply.usage ?? { input: 10, output: Math.max(1, Math.ceil(text.length / 4)) };
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    const base = { id: 'chatcmpl-fake', object: 'chat.completion.chunk', created: 1, model: body.model };
    send({ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    let sent = 0;
    for (const piece of chunks(text, reply.chunkChars ?? 8)) {
      if (reply.failAfterChars !== undefined && sent >= reply.failAfterChars) {
        res.destroy();
        return;
      }
      await pause(reply.delayMs ?? 0);
      send({ ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] });
      sent += piece.length;
    }
    send({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    const opts = body.stream_options as { include_usage?: boolean } | undefined;
    if (opts?.include_usage) send({ ...base, choices: [], usage: { prompt_tokens: usage.input, completion_tokens: usage.output, total_tokens: usage.input + usage.output } });
    res.write('data: [DONE]\n\n');
    res.end();
  }
}
