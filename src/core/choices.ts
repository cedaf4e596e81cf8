import type { Button, Outbound } from './message.js';

/**
 * Buttons for channels without them (console, WhatsApp): shown as numbered choices, and a reply
 * that is just a number presses the matching button of the last menu sent to that chat.
 */
export class NumberedChoices {
  private readonly last = new Map<string, Button[]>();

  /** Remembers the menu and returns the lines to show under the text. */
  render(chatId: string, out: Outbound): string {
    const flat = (out.buttons ?? []).flat();
    if (flat.length === 0) return '';
    this.last.set(chatId, flat);
    return flat.map((b, i) => `  ${i + 1}) ${b.label}`).join('\n') + '\n(answer with the number)';
  }

  /** The button a numeric answer picks, if the chat has a menu and the number is on it. */
  resolve(chatId: string, text: string): Button | undefined {
    const m = /^\s*(\d{1,3})\s*$/.exec(text);
    if (!m) return undefined;
    const menu = this.last.get(chatId);
    const button = menu?.[Number(m[1]) - 1];
    if (button) this.last.delete(chatId);
    return button;
  }
}
