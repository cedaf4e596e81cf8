import { createInterface, type Interface } from 'node:readline';
import { userInfo } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import type { Channel, ChannelInfo, ChannelState, Dispatch } from './channel.js';
import type { Inbound, Outbound, SentRef, Span } from '../core/message.js';
import { toSpans } from '../core/message.js';
import type { Replier } from '../core/handler.js';
import type { Clock } from '../core/clock.js';
import { NumberedChoices } from '../core/choices.js';

const CHAT_ID = 'local';

/**
 * A readline REPL as the local admin. Lines are handled one at a time, in order; buttons are
 * numbered choices answered with the number.
 */
export class ConsoleChannel implements Channel {
  readonly name = 'console' as const;
  private rl?: Interface;
  private state: ChannelState = 'starting';
  private readonly choices = new NumberedChoices();
  private queue: Promise<void> = Promise.resolve();
  private seq = 0;
  private readonly user = safeUserName();

  constructor(
    private readonly io: { input: Readable; output: Writable; color: boolean },
    private readonly clock: Clock,
    private readonly onClose: () => void,
  ) {}

  info(): ChannelInfo {
    return { name: this.name, state: this.state };
  }

  async start(dispatch: Dispatch): Promise<void> {
    this.rl = createInterface({ input: this.io.input, output: this.io.output, prompt: 'jarvis> ', terminal: this.io.color });
    this.state = 'connected';
    this.rl.on('line', (line) => {
      this.queue = this.queue.then(() => this.handleLine(line, dispatch)).catch(() => undefined);
    });
    this.rl.on('close', () => {
      if (this.state !== 'stopped') {
        this.state = 'stopped';
        void this.queue.then(() => this.onClose());
      }
    });
    this.rl.prompt();
  }

  async stop(): Promise<void> {
    this.state = 'stopped';
    this.rl?.close();
  }

  async send(_chatId: string, out: Outbound): Promise<SentRef | undefined> {
    this.print(out);
    return { chatId: CHAT_ID, messageId: String(++this.seq) };
  }

  /** A terminal cannot change what it printed: the new text is printed below. */
  async edit(_ref: SentRef, out: Outbound): Promise<void> {
    this.print(out);
  }

  private async handleLine(line: string, dispatch: Dispatch): Promise<void> {
    const text = line.trim();
    if (text === '') {
      this.rl?.prompt();
      return;
    }
    const base = { channel: 'console' as const, chatId: CHAT_ID, chatKind: 'private' as const, userId: 'local', displayName: this.user, receivedAt: this.clock.now() };
    const pressed = this.choices.resolve(CHAT_ID, text);
    const inbound: Inbound = pressed
      ? { ...base, callback: { queryId: String(++this.seq), data: pressed.data } }
      : { ...base, text, messageId: String(++this.seq) };
    await dispatch(inbound, this.replier());
    if (this.state !== 'stopped') this.rl?.prompt();
  }

  private replier(): Replier {
    return {
      send: (out) => this.send(CHAT_ID, out),
      edit: (ref, out) => this.edit(ref, out),
      answerCallback: async (text) => {
        if (text) this.print({ text });
      },
    };
  }

  private print(out: Outbound): void {
    const text = toSpans(out.text).map((s) => this.style(s)).join('').trimEnd();
    const menu = this.choices.render(CHAT_ID, out);
    this.io.output.write(`${text}${menu ? `\n${menu}` : ''}\n`);
    // A terminal has no attachments: a small text file is shown inline, anything else by name.
    const doc = out.document;
    if (doc) {
      const inline = doc.data.length <= 64 * 1024 && !doc.data.subarray(0, 8192).includes(0);
      this.io.output.write(inline ? `--- ${doc.name} ---\n${doc.data.toString('utf8')}\n--- end ---\n` : `[file ${doc.name}, ${doc.data.length} bytes: not shown in the terminal]\n`);
    }
  }

  private style(s: Span): string {
    if (!this.io.color || !s.style) return s.text;
    const code = s.style === 'bold' ? '1' : s.style === 'italic' ? '3' : '36';
    return `\u001b[${code}m${s.text}\u001b[0m`;
  }
}

function safeUserName(): string {
  try {
    return userInfo().username || 'you';
  } catch {
    return 'you';
  }
}
