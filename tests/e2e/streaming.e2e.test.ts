import { afterEach, describe, expect, it } from 'vitest';
import { person, readable, useHarness } from './harness.js';
import { FakeOpenAiCompatible } from '../fakes/openai-compatible.js';

const ADMIN = person(1001, 'Ada');

/**
 * A streamed answer in a private Telegram chat, against the built daemon: animated drafts while it
 * grows (sendMessageDraft), then one real message with the whole text; with drafts off, one
 * message edited as it grows.
 */
describe('streaming on Telegram', () => {
  const harness = useHarness();
  let llm: FakeOpenAiCompatible | undefined;
  afterEach(async () => {
    await llm?.close();
    llm = undefined;
  });

  const answer = 'one two three four five six seven eight nine ten '.repeat(6).trim();

  it('streams a private answer as drafts, then sends it once as a message', async () => {
    llm = await new FakeOpenAiCompatible().start();
    llm.fallback = () => ({ text: JSON.stringify({ memories: [] }) });
    llm.script({ text: answer, chunkChars: 12, delayMs: 40 });
    const h = harness();
    await h.start({ JARVIS_ADMINS: `telegram:${ADMIN.id}`, LOCAL_LLM_URL: `${llm.url}/v1`, LLM_STREAM_EDIT_MS: '100' });
    expect(await h.ask(ADMIN, 'tell me something nice')).toBe(answer);
    const drafts = h.fake.drafts.filter((d) => d.chatId === ADMIN.id);
    expect(drafts.length).toBeGreaterThanOrEqual(2);
    expect(new Set(drafts.map((d) => d.draftId)).size).toBe(1);
    expect(answer.startsWith(readable(drafts[0]!.text).replace(/…$/, ''))).toBe(true);
    expect(h.fake.calls.filter((c) => c.method === 'editMessageText')).toEqual([]);
  });

  it('with drafts off, edits one message as the answer grows', async () => {
    llm = await new FakeOpenAiCompatible().start();
    llm.fallback = () => ({ text: JSON.stringify({ memories: [] }) });
    llm.script({ text: answer, chunkChars: 12, delayMs: 40 });
    const h = harness();
    await h.start({ JARVIS_ADMINS: `telegram:${ADMIN.id}`, LOCAL_LLM_URL: `${llm.url}/v1`, LLM_STREAM_EDIT_MS: '100', TELEGRAM_STREAM_DRAFTS: 'false' });
    await h.say(ADMIN, 'tell me something nice');
    await h.fake.waitFor(() => h.fake.calls.some((c) => c.method === 'editMessageText' && readable(String(c.params.text)) === answer));
    expect(h.fake.drafts).toEqual([]);
  });
});
