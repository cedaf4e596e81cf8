import type { Outbound, RichText, SentRef } from './message.js';
import { headUnits, tailUnits } from './render.js';

/**
 * A reply that grows while a model streams it: the first text is sent as soon as it exists (or a
 * "Thinking…" placeholder after `placeholderMs`, so the person sees something within a second or
 * two), then the same message is edited at most once per `intervalMs`, and the final text replaces
 * it, split at `maxLength` into further messages. Plain text throughout, so half-finished
 * formatting can never break a message. At most one send or edit is in flight at a time.
 * Everything before the final text is marked `interim`, so a channel without cheap edits
 * (WhatsApp) can skip it and hand back a `held` ref; the final text is then always delivered.
 */

export interface ReplySink {
  reply(out: Outbound | RichText): Promise<SentRef | undefined>;
  edit(ref: SentRef, out: Outbound | RichText): Promise<void>;
}

export interface StreamingReplyOptions {
  intervalMs?: number;
  placeholderMs?: number;
  maxLength?: number;
  placeholder?: string;
}

export class StreamingReply {
  private text = '';
  private shown = '';
  private ref?: SentRef;
  private busy?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private lastPaint = 0;
  private done = false;
  private readonly intervalMs: number;
  private readonly maxLength: number;
  private readonly placeholder: string;
  /** Sends and edits made, for benchmarks and /status. */
  calls = 0;

  constructor(private readonly sink: ReplySink, opts: StreamingReplyOptions = {}) {
    this.intervalMs = opts.intervalMs ?? 1_000;
    this.maxLength = opts.maxLength ?? 4_096;
    this.placeholder = opts.placeholder ?? 'Thinking…';
    this.timer = setTimeout(() => this.paint(), opts.placeholderMs ?? 1_500);
    this.timer.unref?.();
  }

  /** More text arrived. */
  push(delta: string): void {
    if (this.done || !delta) return;
    this.text += delta;
    if (!this.ref && !this.busy) return this.paint();
    this.schedule();
  }

  /** The model is starting over (a retry or another provider): what was shown is dropped. */
  reset(): void {
    this.text = '';
    this.schedule();
  }

  /** The whole answer: edits the message into it (or sends it), splitting what does not fit. */
  async finish(finalText: string): Promise<SentRef | undefined> {
    this.stop();
    await this.busy;
    const parts = splitText(finalText.trim() === '' ? '(no answer)' : finalText, this.maxLength);
    const [first, ...rest] = parts as [string, ...string[]];
    if (this.ref) {
      if (first !== this.shown || this.ref.held) await this.sink.edit(this.ref, first);
    } else this.ref = await this.sink.reply(first);
    this.calls++;
    let last = this.ref;
    for (const part of rest) {
      last = await this.sink.reply(part);
      this.calls++;
    }
    return last;
  }

  /** The answer failed: the placeholder (if any) becomes the explanation. */
  async fail(message: string): Promise<void> {
    this.stop();
    await this.busy;
    const shown = this.text.trim() ? `${truncateForFail(this.text, this.maxLength - message.length - 4)}\n\n${message}` : message;
    if (this.ref) await this.sink.edit(this.ref, shown);
    else await this.sink.reply(shown);
  }

  private stop(): void {
    this.done = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.timer || this.done) return;
    const wait = Math.max(0, this.lastPaint + this.intervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.paint();
    }, wait);
    this.timer.unref?.();
  }

  /** Shows the current text (or the placeholder) once; chains behind a call in flight. */
  private paint(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.done || this.busy) {
      if (!this.done) this.schedule();
      return;
    }
    const visible = this.text.trim() ? tail(this.text, this.maxLength) : this.placeholder;
    if (visible === this.shown) return;
    // The placeholder does not count toward the throttle: the first real text replaces it at once.
    if (visible !== this.placeholder) this.lastPaint = Date.now();
    this.busy = (async () => {
      try {
        const out = { text: visible, interim: true };
        if (this.ref) await this.sink.edit(this.ref, out);
        else this.ref = await this.sink.reply(out);
        this.calls++;
        this.shown = visible;
      } catch {
        // A failed intermediate edit is not worth failing the answer for; the final one decides.
      } finally {
        this.busy = undefined;
      }
      if (!this.done && this.text.trim() && tail(this.text, this.maxLength) !== this.shown) this.schedule();
    })();
  }
}

/** While streaming, a long answer shows its latest part. */
function tail(text: string, max: number): string {
  return text.length <= max ? text : `…${tailUnits(text, max - 1)}`;
}

function truncateForFail(text: string, max: number): string {
  return text.length <= max ? text : `${headUnits(text, max - 1)}…`;
}

/** Splits plain text into pieces of at most `max` characters, at line breaks, then spaces, where it can. */
export function splitText(text: string, max: number): string[] {
  const out: string[] = [];
  let rest = text;
  while (rest.length > max) {
    let cut = rest.lastIndexOf('\n', max);
    if (cut < max / 2) cut = rest.lastIndexOf(' ', max);
    if (cut < max / 2) cut = max;
    // Never split a surrogate pair.
    if (cut < rest.length && /[\uD800-\uDBFF]/.test(rest.charAt(cut - 1))) cut--;
    out.push(rest.slice(0, cut).trimEnd());
    rest = rest.slice(cut).replace(/^[\n ]/, '');
  }
  if (rest.length || out.length === 0) out.push(rest);
  return out;
}
