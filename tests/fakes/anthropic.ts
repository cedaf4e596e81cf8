import type { ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import { chunks, pause, ScriptedLlmServer, type ScriptedReply } from './llm-script.js';

/**
 * A fake Anthropic Messages API: POST /v1/messages answered as the real one streams it over SSE
 * (message_start with usage, content_block_start/delta/stop, message_delta with output usage,
 * message_stop), errors as `{type:'error', error:{type, message}}` with the real statuses, and an
 * `overloaded_error` event mid-stream when scripted.
 */
const ERROR_TYPES: Record<number, string> = { 400: 'invalid_request_error', 401: 'authentication_error', 403: 'permission_error', 404: 'not_found_error', 429: 'rate_limit_error', 500: 'api_error', 529: 'overloaded_error' };

export class FakeAnthropic extends ScriptedLlmServer {
  private toolSeq = 0;
  /** Called right after each text delta is written to the socket (benchmarks time tokens from here). */
  onChunk?: (textSoFar: string, at: number) => void;

  protected async serve(reply: ScriptedReply, body: Record<string, unknown>, res: ServerResponse): Promise<void> {
    if (reply.status) {
      res.writeHead(reply.status, { 'content-type': 'application/json', 'request-id': 'req_fake' });
      res.end(JSON.stringify({ type: 'error', error: { type: ERROR_TYPES[reply.status] ?? 'api_error', message: `fake error ${reply.status}` } }));
      return;
    }
    const text = reply.text ?? '';
    const usage = reply.usage ?? { input: 10, output: Math.max(1, Math.ceil(text.length / 4)) };
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': 'req_fake' });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    send('message_start', {
      type: 'message_start',
      message: {
        id: 'msg_fake', type: 'message', role: 'assistant', model: body.model, content: [], stop_reason: null, stop_sequence: null,
        usage: { input_tokens: usage.input, output_tokens: 1, cache_read_input_tokens: usage.cacheRead ?? 0, cache_creation_input_tokens: usage.cacheWrite ?? 0 },
      },
    });
    send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
    let sent = 0;
    for (const piece of chunks(text, reply.chunkChars ?? 8)) {
      if (reply.failAfterChars !== undefined && sent >= reply.failAfterChars) {
        send('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
        res.end();
        return;
      }
      await pause(reply.delayMs ?? 0);
      send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: piece } });
      sent += piece.length;
      this.onChunk?.(text.slice(0, sent), performance.now());
    }
    if (reply.failAfterChars !== undefined) {
      send('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
      res.end();
      return;
    }
    send('content_block_stop', { type: 'content_block_stop', index: 0 });
    let index = 1;
    for (const tool of reply.toolUses ?? []) {
      const id = `toolu_fake_${++this.toolSeq}`;
      send('content_block_start', { type: 'content_block_start', index, content_block: { type: 'tool_use', id, name: tool.name, input: {} } });
      for (const part of chunks(JSON.stringify(tool.input), 20)) send('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: part } });
      send('content_block_stop', { type: 'content_block_stop', index });
      index++;
    }
    const stop = reply.toolUses?.length ? 'tool_use' : 'end_turn';
    send('message_delta', { type: 'message_delta', delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: usage.output } });
    send('message_stop', { type: 'message_stop' });
    res.end();
  }
}
