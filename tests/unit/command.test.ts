import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/core/command.js';

describe('parseCommand', () => {
  it('splits name and arguments, lower-casing the name only', () => {
    expect(parseCommand('/allow telegram:1 User')).toEqual({ name: 'allow', args: 'telegram:1 User' });
    expect(parseCommand('/HELP')).toEqual({ name: 'help', args: '' });
    expect(parseCommand('/audit   5  ')).toEqual({ name: 'audit', args: '5' });
    expect(parseCommand('/allow\ntelegram:1')).toEqual({ name: 'allow', args: 'telegram:1' });
  });

  it('is not fooled by text that is not a command', () => {
    for (const t of [undefined, '', 'help', ' /help', '/', '/ help', '/he-lp', '/help\u0000', `/${'a'.repeat(33)}`]) {
      expect(parseCommand(t)).toBeUndefined();
    }
  });

  it('takes commands addressed to this bot and drops those for another', () => {
    expect(parseCommand('/help@jarvis_bot', 'jarvis_bot')).toEqual({ name: 'help', args: '' });
    expect(parseCommand('/help@other_bot', 'jarvis_bot')).toBeUndefined();
  });
});
