import type { Channel, ChannelInfo, Dispatch } from './channel.js';
import type { ChannelName, Inbound, Outbound, SentRef } from '../core/message.js';
import type { Replier } from '../core/handler.js';
import { UserError } from '../core/errors.js';

export interface MemorySent {
  chatId: string;
  kind: 'send' | 'edit' | 'answer';
  out: Outbound;
  ref?: SentRef;
}

/** An in-process channel: messages are injected and replies collected (benchmarks, embedding). */
export class MemoryChannel implements Channel {
  readonly name: ChannelName;
  readonly sent: MemorySent[] = [];
  /** Files people "sent", by id, for Inbound.file (tests put them here). */
  readonly files = new Map<string, Buffer>();
  private dispatch?: Dispatch;
  private seq = 0;

  /** `name` lets tests stand in for a real channel, so notices addressed to telegram:… arrive here. */
  constructor(private readonly opts: { record?: boolean; name?: ChannelName } = { record: true }) {
    this.name = opts.name ?? 'memory';
  }

  info(): ChannelInfo {
    return { name: this.name, state: this.dispatch ? 'connected' : 'stopped' };
  }

  async start(dispatch: Dispatch): Promise<void> {
    this.dispatch = dispatch;
  }

  async stop(): Promise<void> {
    this.dispatch = undefined;
  }

  async send(chatId: string, out: Outbound): Promise<SentRef> {
    const ref = { chatId, messageId: String(++this.seq) };
    if (this.opts.record !== false) this.sent.push({ chatId, kind: 'send', out, ref });
    return ref;
  }

  async edit(ref: SentRef, out: Outbound): Promise<void> {
    if (this.opts.record !== false) this.sent.push({ chatId: ref.chatId, kind: 'edit', out, ref });
  }

  /** Runs one message through the chain; resolves with what was sent in answer to it. */
  async inject(inbound: Inbound): Promise<MemorySent[]> {
    if (!this.dispatch) throw new Error('memory channel is not started');
    const answers: MemorySent[] = [];
    await this.dispatch(inbound, this.replier(inbound.chatId, answers));
    return answers;
  }

  private replier(chatId: string, answers: MemorySent[]): Replier {
    const record = (s: MemorySent) => {
      if (this.opts.record === false) return;
      this.sent.push(s);
      answers.push(s);
    };
    return {
      send: async (out) => {
        const ref = { chatId, messageId: String(++this.seq) };
        record({ chatId, kind: 'send', out, ref });
        return ref;
      },
      edit: async (ref, out) => record({ chatId, kind: 'edit', out, ref }),
      download: async (fileId, maxBytes) => {
        const data = this.files.get(fileId);
        if (!data) throw new Error(`memory channel: no file ${fileId}`);
        if (data.length > maxBytes) throw new UserError(`That file is too large (at most ${maxBytes} bytes).`);
        return data;
      },
      answerCallback: async (text) => {
        if (text) record({ chatId, kind: 'answer', out: { text } });
      },
    };
  }
}
