import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { person, useHarness, type Harness } from './harness.js';

const ADMIN = person(1001, 'Ada');
const STRANGER = person(2001, 'Eve');
const BIG = 'x'.repeat(100_000);

const TEXTS = [
  '',
  BIG,
  `/allow ${BIG}`,
  `/audit ${BIG}`,
  '\u0000\u0001\u0007\u001b[31mred\u007f\ud800',
  '/allow \u0000telegram:1\u0000',
  '😀👨‍👩‍👧 مرحبا بالعالم \u202Egnp.exe \u200f',
  '/',
  '/whoami@some_other_bot',
  '/runjob ../../etc/passwd',
];
const CALLBACK_DATA = ['\u0000x', randomBytes(64).toString('latin1'), 'flow:allow:', 'flow:', 'flow:allow:admin', 'flow:allow:role:', 'flow:allow:role:admin', 'flow:allow:nostep:admin'];

const chat = { id: ADMIN.id, type: 'private', first_name: ADMIN.first_name };
const from = { id: ADMIN.id, is_bot: false, first_name: ADMIN.first_name };
const message = (extra: Record<string, unknown>) => ({ message_id: 7000, date: 0, chat, from, text: 'hi', ...extra });

/** Updates the daemon must shrug off: kinds it did not ask for, and shapes it does not expect. */
const RAW_UPDATES: Record<string, unknown>[] = [
  { edited_message: { ...message({}), edit_date: 1 } },
  { channel_post: { message_id: 1, date: 0, chat: { id: -100123, type: 'channel', title: 'News' }, text: '/whoami' } },
  { my_chat_member: { chat, from, date: 0, old_chat_member: { status: 'member', user: from }, new_chat_member: { status: 'kicked', user: from, until_date: 0 } } },
  { poll: { id: 'p1', question: 'Q?', options: [], total_voter_count: 0, is_closed: false, is_anonymous: true, type: 'regular', allows_multiple_answers: false } },
  { message: { message_id: 7001, date: 0, chat, text: '/whoami' } }, // no `from`
  { message: message({ from: { id: 999, is_bot: true, first_name: 'OtherBot' }, text: '/whoami' }) },
  { message: message({ text: undefined, sticker: { file_id: 'x' } }) },
  { totally_unknown_kind: { foo: 1 } },
];

/** Callback queries the fake never issued: the daemon must still try to answer them. */
const RAW_CALLBACKS: Record<string, unknown>[] = [
  { id: 'raw-nodata', from, chat_instance: 'ci', message: message({}) },
  { id: 'raw-nomessage', from, chat_instance: 'ci', data: 'flow:allow:user' },
  { id: 'raw-stranger', from: { id: STRANGER.id, is_bot: false, first_name: 'Eve' }, chat_instance: 'ci', data: '\u0000' },
];

function expectNothingLeaked(h: Harness): void {
  const sent = h.fake.calls.filter((c) => c.method === 'sendMessage' || c.method === 'answerCallbackQuery').map((c) => String(c.params.text ?? ''));
  for (const t of sent) {
    expect(t).not.toMatch(/\bat .*\.js:\d+/);
    expect(t).not.toContain(h.fake.token);
    expect(t).not.toContain(h.fake.token.split(':')[1]!);
    expect(t).not.toMatch(/Error:|TypeError|SqliteError/);
  }
}

describe('malformed and unexpected input', () => {
  const harness = useHarness();

  it('stays up, answers every button, and leaks nothing', async () => {
    const h = harness();
    await h.start({ JARVIS_ADMINS: `telegram:${ADMIN.id}`, JARVIS_RATE_LIMIT_BURST: '100' });
    for (const t of TEXTS) h.fake.sendText(ADMIN, t);
    const presses = CALLBACK_DATA.map((d) => h.fake.pressButton(ADMIN, d, 1000));
    presses.push(h.fake.pressButton(STRANGER, 'flow:allow:admin', 1000));
    for (const u of RAW_UPDATES) h.fake.pushRawUpdate(u);
    for (const q of RAW_CALLBACKS) h.fake.pushRawUpdate({ callback_query: q });

    h.fake.sendText(ADMIN, '/whoami');
    expect(await h.waitForText(ADMIN.id, 'You are')).toBe('You are Ada, telegram:1001, role admin.');
    for (const q of presses) expect((await h.waitForAnswer(q)).answeredWith).toBe('ok');
    for (const q of presses) expect(h.answers(q)).toHaveLength(1);
    // The fake did not issue these ids, so it refuses the answer; what matters is the daemon tried.
    for (const q of RAW_CALLBACKS) await h.waitForAnswer(String(q.id));

    expect(h.daemon!.proc.exitCode).toBeNull();
    expectNothingLeaked(h);
    expect(h.texts(ADMIN.id).filter((t) => t.startsWith('Something went wrong'))).toEqual([]);
    // Only the admin's own messages got replies: no edit, channel post, bot or member update did.
    expect(h.count(ADMIN.id, 'You are Ada')).toBe(1);
    expect(h.texts(-100123)).toEqual([]);
    expect(await h.ask(ADMIN, '/status')).toMatch(/telegram connected/);
  });

  it('answers long, odd and foreign text in plain words', async () => {
    const h = harness();
    await h.start({ JARVIS_ADMINS: `telegram:${ADMIN.id}` });
    expect(await h.ask(ADMIN, BIG)).toMatch(/^I only answer commands/);
    expect(await h.ask(ADMIN, `/allow ${BIG}`)).toMatch(/^"x{39}…" is not an identity/);
    expect(await h.ask(ADMIN, '/audit 1e3')).toMatch(/^Usage: \/audit/);
    expect(await h.ask(ADMIN, '/runjob <b>maintenance</b>')).toBe('No job named "<b>maintenance</b>". See /jobs.');
    expect(await h.ask(ADMIN, '/nosuchcommand & <i>')).toBe('Unknown command, see /help');
    expect(await h.ask(ADMIN, '😀 مرحبا')).toMatch(/^I only answer commands/);
    expectNothingLeaked(h);
  });

  it('shows names as written, markup included', async () => {
    const h = harness();
    await h.start({ JARVIS_ADMINS: `telegram:${ADMIN.id}` });
    expect(await h.ask(person(ADMIN.id, '<b>Ada</b> & "Co"'), '/whoami')).toBe('You are <b>Ada</b> & "Co", telegram:1001, role admin.');
  });

  // Jarvis shortens names and echoed arguments with String.slice, which can cut an emoji in
  // half; Telegram rejects text with a lone surrogate, so the person would get no answer.
  it('keeps replies valid Unicode where it shortens what people sent', async () => {
    const h = harness();
    await h.start({ JARVIS_ADMINS: `telegram:${ADMIN.id}` });
    const emoji = 'a' + '😀'.repeat(30); // an odd cut point falls inside a surrogate pair
    await h.ask(person(ADMIN.id, 'A'.repeat(63) + '😀'), '/whoami');
    await h.ask(ADMIN, `/allow ${emoji}`);
    await h.ask(ADMIN, `/runjob ${emoji}`);
    const broken = h.fake.textsTo(ADMIN.id).filter((t) => /\p{Cs}/u.test(t)); // a lone surrogate
    expect(broken).toEqual([]);
  });
});
