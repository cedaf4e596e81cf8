import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN } from '../support/app-harness.js';
import { makeBrainHarness, USER, type BrainHarness } from '../support/brain-harness.js';
import { plainText } from '../../src/core/message.js';
import { detectSandbox } from '../../src/vibe/sandbox.js';

/**
 * /vibe against a fake Anthropic API that scripts tool_use steps: the real agent loop, tools,
 * workspace checks, approvals and sandbox run; what the person sees is read from the chat.
 */

let h: BrainHarness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const ENV = { VIBE_APPROVAL_TIMEOUT_SEC: '1', VIBE_COMMAND_TIMEOUT_SEC: '2', LLM_STREAM_EDIT_MS: '50' };
const hasBwrap = detectSandbox().kind === 'bwrap';

async function vibe(t: BrainHarness, userId: number, text: string): Promise<void> {
  await t.say(userId, text);
  await t.app.services.vibe.idle();
}

/** What the chat shows now: every message as last sent or edited, in order. */
function chat(t: BrainHarness, chatId: number): string[] {
  const byRef = new Map<string, string>();
  for (const m of t.memory.sent) {
    if (m.chatId !== String(chatId) || m.kind === 'answer' || !m.ref) continue;
    byRef.set(m.ref.messageId, plainText(m.out.text));
  }
  return [...byRef.values()];
}

function workspace(t: BrainHarness, userId: number, project = 'default'): string {
  return join(t.dataDir, 'workspaces', `telegram_${userId}`, project);
}

const lastRequest = (t: BrainHarness) => t.claude.requests.at(-1)!.body as { messages: { role: string; content: { type: string; text?: string; content?: string; is_error?: boolean; tool_use_id?: string }[] }[]; tools: { name: string; cache_control?: unknown }[]; system: { cache_control?: unknown }[] };

describe('/vibe sessions', () => {
  it('a multi-turn edit session: creates, reads and edits a file, one line per step, context carried over', async () => {
    h = await makeBrainHarness({ env: ENV });
    h.claude.script(
      { text: 'I will add it.', toolUses: [{ name: 'create_file', input: { path: 'src/greet.ts', content: 'export function greet(name: string) {\n  return `Hi ${name}`;\n}\n' } }] },
      { text: 'Created src/greet.ts with greet().' },
    );
    await vibe(h, ADMIN, '/vibe add a greet function');
    const file = join(workspace(h, ADMIN), 'src/greet.ts');
    expect(readFileSync(file, 'utf8')).toContain('Hi ${name}');
    expect(chat(h, ADMIN).at(-1)).toBe('I will add it.\n• created src/greet.ts (+3 −0)\nCreated src/greet.ts with greet().');
    const first = lastRequest(h);
    expect(first.system[0]!.cache_control).toEqual({ type: 'ephemeral' });
    expect(first.tools.at(-1)!.cache_control).toEqual({ type: 'ephemeral' });

    h.claude.script(
      { toolUses: [{ name: 'read_file', input: { path: 'src/greet.ts' } }] },
      { toolUses: [{ name: 'edit_file', input: { path: 'src/greet.ts', old_string: '`Hi ${name}`', new_string: '`Hello, ${name}!`' } }] },
      { text: 'Done.' },
    );
    await vibe(h, ADMIN, 'make it say Hello instead');
    expect(readFileSync(file, 'utf8')).toContain('`Hello, ${name}!`');
    expect(chat(h, ADMIN).at(-1)).toBe('• read src/greet.ts (4 lines)\n• edited src/greet.ts (+1 −1)\nDone.');
    // The second turn's requests carried the first turn (its tool call and result included).
    const texts = lastRequest(h).messages.flatMap((m) => m.content.map((b) => b.text ?? b.content ?? ''));
    expect(texts).toContain('add a greet function');
    expect(texts).toContain('make it say Hello instead');
    expect(h.app.services.vibe.status(`telegram:${ADMIN}`)).toMatch(/^Project default, session #\d+\n2 turns,/);
  });

  it('a restart mid-session resumes the context', async () => {
    h = await makeBrainHarness({ env: ENV });
    h.claude.script({ text: 'Noted: the project is a CLI.' });
    await vibe(h, ADMIN, '/vibe this project is a CLI called zap');
    await h.restart();
    h.claude.script({ text: 'It is called zap.' });
    await vibe(h, ADMIN, 'what is it called?');
    const texts = lastRequest(h).messages.flatMap((m) => m.content.map((b) => b.text ?? ''));
    expect(texts).toEqual(['this project is a CLI called zap', 'Noted: the project is a CLI.', 'what is it called?']);
    expect(chat(h, ADMIN).at(-1)).toBe('It is called zap.');
  });

  it('plain messages go to normal chat again after /vibe done', async () => {
    h = await makeBrainHarness({ env: ENV });
    h.claude.script({ text: 'ok' });
    await vibe(h, ADMIN, '/vibe hello');
    expect(await h.say(ADMIN, '/vibe done')).toEqual(['Session ended; the workspace stays. Plain messages go to normal chat again.']);
    const before = h.claude.requests.length;
    h.local.script({ text: 'Hi from the local model' });
    expect(await h.ask(ADMIN, 'hi')).toBe('Hi from the local model');
    expect(h.claude.requests.length).toBe(before);
  });
});

describe('/vibe safety', () => {
  it('refuses path traversal, absolute paths and a symlink that leaves the workspace', async () => {
    h = await makeBrainHarness({ env: ENV });
    mkdirSync(workspace(h, ADMIN), { recursive: true });
    symlinkSync('/etc', join(workspace(h, ADMIN), 'etc-link'));
    h.claude.script(
      { toolUses: [{ name: 'read_file', input: { path: '../../../../etc/passwd' } }, { name: 'read_file', input: { path: '/etc/passwd' } }, { name: 'read_file', input: { path: 'etc-link/passwd' } }, { name: 'create_file', input: { path: 'etc-link/evil.txt', content: 'x' } }] },
      { text: 'I cannot read those.' },
    );
    await vibe(h, ADMIN, '/vibe show me the passwd file');
    const results = lastRequest(h).messages.at(-1)!.content.filter((b) => b.type === 'tool_result');
    expect(results).toHaveLength(4);
    expect(results.every((r) => r.is_error === true)).toBe(true);
    expect(results.map((r) => r.content).join('\n')).not.toContain('root:x:0:0');
    expect(existsSync('/etc/evil.txt')).toBe(false);
    expect(chat(h, ADMIN).at(-1)).toMatch(/• refused: .*\n• refused: .*\n• refused: .*\n• refused: .*\nI cannot read those\./);
  });

  it('never reads a secret file into the model, nor sends it to chat', async () => {
    h = await makeBrainHarness({ env: ENV });
    mkdirSync(workspace(h, ADMIN), { recursive: true });
    writeFileSync(join(workspace(h, ADMIN), '.env'), 'API_KEY=sk-super-secret-value\n');
    h.claude.script({ toolUses: [{ name: 'read_file', input: { path: '.env' } }, { name: 'search', input: { pattern: 'sk-super' } }] }, { text: 'Secret files are off limits.' });
    await vibe(h, ADMIN, '/vibe what is in .env?');
    expect(JSON.stringify(h.claude.requests.map((r) => r.body))).not.toContain('sk-super-secret-value');
    const [reply] = await h.say(ADMIN, '/vibe send .env');
    expect(reply).toMatch(/secret/i);
    expect(h.memory.sent.some((m) => m.out.document)).toBe(false);
  });

  it('a risky action nobody answers is denied when the approval times out', async () => {
    h = await makeBrainHarness({ env: ENV });
    mkdirSync(workspace(h, ADMIN), { recursive: true });
    writeFileSync(join(workspace(h, ADMIN), 'keep.txt'), 'precious');
    h.claude.script({ toolUses: [{ name: 'delete_file', input: { path: 'keep.txt' } }] }, { text: 'Left it alone.' });
    await vibe(h, ADMIN, '/vibe delete keep.txt');
    expect(existsSync(join(workspace(h, ADMIN), 'keep.txt'))).toBe(true);
    const shown = chat(h, ADMIN);
    expect(shown.some((t) => /^Delete this file\? \(no answer in 1 s is a no\)\n\nDelete keep\.txt$/.test(t))).toBe(true);
    expect(shown.at(-1)).toBe('• not allowed: delete keep.txt\nLeft it alone.');
  });

  it('an approved delete goes through; another person cannot answer it', async () => {
    h = await makeBrainHarness({ env: { ...ENV, VIBE_APPROVAL_TIMEOUT_SEC: '10' } });
    mkdirSync(workspace(h, ADMIN), { recursive: true });
    writeFileSync(join(workspace(h, ADMIN), 'old.txt'), 'old');
    h.claude.script({ toolUses: [{ name: 'delete_file', input: { path: 'old.txt' } }] }, { text: 'Deleted.' });
    await h.say(ADMIN, '/vibe delete old.txt');
    let buttons: { data: string; label: string }[] = [];
    for (let i = 0; i < 100 && buttons.length === 0; i++) {
      buttons = h.memory.sent.flatMap((m) => m.out.buttons?.flat() ?? []).filter((b) => b.data.startsWith('vibe:'));
      await new Promise((r) => setTimeout(r, 20));
    }
    const allow = buttons.find((b) => b.label === 'Allow')!;
    expect((await h.press(USER, allow.data)).texts.join()).toMatch(/not yours/);
    expect(existsSync(join(workspace(h, ADMIN), 'old.txt'))).toBe(true);
    await h.press(ADMIN, allow.data);
    await h.app.services.vibe.idle();
    expect(existsSync(join(workspace(h, ADMIN), 'old.txt'))).toBe(false);
    expect(chat(h, ADMIN).at(-1)).toBe('• deleted old.txt\nDeleted.');
  });

  it('without a sandbox, commands are off and the person is told why', async () => {
    h = await makeBrainHarness({ env: { ...ENV, VIBE_SANDBOX: 'none' } });
    h.claude.script({ toolUses: [{ name: 'run_command', input: { command: 'ls' } }] }, { text: 'I could not run it.' });
    await vibe(h, ADMIN, '/vibe run ls');
    expect(chat(h, ADMIN).at(-1)).toBe('• command not run: no sandbox\nI could not run it.');
    expect(await h.say(ADMIN, '/vibe status')).toEqual([expect.stringMatching(/commands are off \(VIBE_SANDBOX=none\)/)]);
  });

  it.skipIf(!hasBwrap)('a command that loops forever is killed at the time limit', async () => {
    h = await makeBrainHarness({ env: { ...ENV, VIBE_APPROVAL_TIMEOUT_SEC: '10' } });
    h.claude.script({ toolUses: [{ name: 'run_command', input: { command: 'while true; do :; done' } }] }, { text: 'It never ends.' });
    await h.say(ADMIN, '/vibe run an endless loop');
    let allow: string | undefined;
    for (let i = 0; i < 100 && !allow; i++) {
      allow = h.memory.sent.flatMap((m) => m.out.buttons?.flat() ?? []).find((b) => b.data.startsWith('vibe:all:'))?.data;
      await new Promise((r) => setTimeout(r, 20));
    }
    const t0 = Date.now();
    await h.press(ADMIN, allow!);
    await h.app.services.vibe.idle();
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(chat(h, ADMIN).at(-1)).toMatch(/^• ran `while true; do :; done`: killed after 2\.\d s \(time limit\)\nIt never ends\.$/);
  });

  it('lockdown refuses new /vibe work', async () => {
    h = await makeBrainHarness({ env: ENV });
    await h.say(ADMIN, '/lockdown on');
    expect(await h.say(ADMIN, '/vibe add a feature')).toEqual([expect.stringMatching(/^New \/vibe work is refused: Jarvis is in lockdown/)]);
    expect(h.claude.requests).toHaveLength(0);
  });
});

describe('/vibe money and failures', () => {
  it('an exhausted budget refuses the next turn with a clear reply, before calling Claude', async () => {
    h = await makeBrainHarness({ env: { ...ENV, LLM_BUDGET_USER_DAILY_USD: '0.10' } });
    h.claude.script({ text: 'expensive', usage: { input: 30_000, output: 2_000 } });
    await vibe(h, ADMIN, '/vibe refactor everything');
    const before = h.claude.requests.length;
    expect(await h.say(ADMIN, '/vibe and again')).toEqual([expect.stringMatching(/^Claude is paused for you: your daily budget of \$0\.10 is used up \(\$0\.12 spent\)/)]);
    expect(h.claude.requests.length).toBe(before);
  });

  it('overloaded_error mid-stream is retried once and only the final answer stays', async () => {
    h = await makeBrainHarness({ env: ENV });
    h.claude.script({ text: 'A first try that breaks', failAfterChars: 8 }, { text: 'The real answer.' });
    await vibe(h, ADMIN, '/vibe explain the code');
    expect(chat(h, ADMIN).at(-1)).toBe('The real answer.');
    expect(h.ledger().filter((r) => r.purpose === 'vibe').map((r) => r.outcome)).toEqual(['overloaded', 'ok']);
  });

  it('overloaded twice is reported in one sentence', async () => {
    h = await makeBrainHarness({ env: ENV });
    h.claude.script({ status: 529 }, { status: 529 });
    await vibe(h, ADMIN, '/vibe explain the code');
    expect(chat(h, ADMIN).at(-1)).toBe('Claude is overloaded right now.');
  });

  it('the answer streams into one message in throttled edits', async () => {
    h = await makeBrainHarness({ env: ENV });
    const text = 'token '.repeat(80).trim();
    h.claude.script({ text, chunkChars: 6, delayMs: 10 });
    await vibe(h, ADMIN, '/vibe write a poem');
    const mine = h.memory.sent.filter((m) => m.chatId === String(ADMIN) && m.kind !== 'answer');
    const sends = mine.filter((m) => m.kind === 'send');
    const edits = mine.filter((m) => m.kind === 'edit');
    expect(sends).toHaveLength(1);
    expect(edits.length).toBeGreaterThan(2);
    expect(edits.length).toBeLessThan(40);
    expect(plainText(edits.at(-1)!.out.text)).toBe(text);
  });

  it('/vibe stop aborts a running turn', async () => {
    h = await makeBrainHarness({ env: ENV });
    h.claude.script({ text: 'slow '.repeat(200), chunkChars: 5, delayMs: 20 });
    await h.say(ADMIN, '/vibe write a lot');
    await new Promise((r) => setTimeout(r, 150));
    expect(await h.say(ADMIN, '/vibe stop')).toEqual(['Stopping the running turn.']);
    await h.app.services.vibe.idle();
    expect(chat(h, ADMIN).filter((t) => /Stopped\.$/.test(t))).toHaveLength(1);
    expect(await h.say(ADMIN, '/vibe stop')).toEqual(['Nothing is running.']);
  });

  it('/vibe send returns a workspace file as a document', async () => {
    h = await makeBrainHarness({ env: ENV });
    mkdirSync(join(workspace(h, ADMIN), 'src'), { recursive: true });
    writeFileSync(join(workspace(h, ADMIN), 'src/app.ts'), 'console.log(1);\n');
    await h.say(ADMIN, '/vibe send src/app.ts');
    const doc = h.memory.sent.find((m) => m.out.document)!.out.document!;
    expect(doc.name).toBe('app.ts');
    expect(doc.data.toString()).toBe('console.log(1);\n');
  });
});

describe('/vibe files from chat', () => {
  it('a document sent during a session is saved into the project (at the caption path), a secret name is refused', async () => {
    h = await makeBrainHarness({ env: ENV });
    await h.say(ADMIN, '/vibe new');
    const send = (id: string, name: string, data: string, caption?: string) => {
      h!.memory.files.set(id, Buffer.from(data));
      return h!.memory.inject({ channel: 'telegram', chatId: String(ADMIN), chatKind: 'private', userId: String(ADMIN), displayName: 'Ada', file: { id, name }, ...(caption ? { text: caption } : {}), messageId: id, receivedAt: h!.clock.now() });
    };
    expect((await send('f1', 'data.json', '{"a":1}')).map((m) => plainText(m.out.text))).toEqual(['Saved data.json (7 bytes) in project default. Claude can use it in your next message.']);
    expect(readFileSync(join(workspace(h, ADMIN), 'data.json'), 'utf8')).toBe('{"a":1}');
    await send('f2', 'x.txt', 'hello', 'docs/readme.txt');
    expect(readFileSync(join(workspace(h, ADMIN), 'docs/readme.txt'), 'utf8')).toBe('hello');
    expect((await send('f3', '.env', 'SECRET=1')).map((m) => plainText(m.out.text)).join()).toMatch(/secret/i);
    expect(existsSync(join(workspace(h, ADMIN), '.env'))).toBe(false);
    expect((await send('f4', '../../escape.txt', 'x', '../../escape.txt')).map((m) => plainText(m.out.text)).join()).not.toMatch(/^Saved/);
    expect(existsSync(join(workspace(h, ADMIN), '..', '..', 'escape.txt'))).toBe(false);
  });

  it('without a session, a document is not taken', async () => {
    h = await makeBrainHarness({ env: ENV });
    h.memory.files.set('f1', Buffer.from('x'));
    const out = await h.memory.inject({ channel: 'telegram', chatId: String(ADMIN), chatKind: 'private', userId: String(ADMIN), displayName: 'Ada', file: { id: 'f1', name: 'a.txt' }, messageId: '1', receivedAt: h.clock.now() });
    expect(out.filter((m) => m.kind !== 'answer')).toEqual([]);
    expect(existsSync(join(workspace(h, ADMIN), 'a.txt'))).toBe(false);
  });
});

describe('/vibe long approvals', () => {
  it('a change too long to show is attached whole as a file to the approval request', async () => {
    h = await makeBrainHarness({ env: ENV });
    const content = Array.from({ length: 400 }, (_, i) => `line ${i} of a long generated file`).join('\n');
    h.claude.script({ toolUses: [{ name: 'create_file', input: { path: 'build/out.bin', content } }] }, { text: 'ok' });
    await vibe(h, ADMIN, '/vibe generate the build output');
    const request = h.memory.sent.find((m) => m.out.document?.name === 'change.diff')!;
    expect(plainText(request.out.text)).toMatch(/^Allow this change\? .*more characters: the whole of it is in the attached file\)$/s);
    expect(request.out.document!.data.toString()).toContain('line 399 of a long generated file');
  });
});
