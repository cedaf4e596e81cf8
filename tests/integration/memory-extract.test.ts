import { describe, expect, it } from 'vitest';
import { ANN, BOB, freshMemoryHarness, makeMemoryHarness, type MemoryHarness } from '../support/memory-harness.js';
import { extractMemories, type ExtractionReport } from '../../src/memory/extract.js';
import { EXTRACTION_SYSTEM } from '../../src/memory/extract-format.js';
import type { CompleteText } from '../../src/llm/types.js';
import { LlmError } from '../../src/llm/types.js';

/**
 * Extraction's decisions over a real SQLite file. The model is a CompleteText written here that
 * answers with canned text: it stands for the external model, and records what it was asked.
 */

const h = freshMemoryHarness();

interface Call {
  userKey: string;
  system: string;
  input: { known_notes: { id: number; tier: string; text: string }[]; exchange: { user: string; assistant: string } };
}

/** A model that answers `answer` (or throws it) and remembers each request. */
function scripted(answer: string | Error): CompleteText & { calls: Call[] } {
  const calls: Call[] = [];
  const fn = async (userKey: string, system: string, user: string) => {
    calls.push({ userKey, system, input: JSON.parse(user) as Call['input'] });
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return Object.assign(fn, { calls });
}

const run = (complete: CompleteText, user: string, assistant = 'Noted.', owner = ANN, on: Pick<MemoryHarness, 'memory'> = h): Promise<ExtractionReport> =>
  extractMemories({ memory: on.memory, complete }, owner, { user, assistant });

const live = (owner = ANN) => h.memory.list(owner, 100).memories.map((m) => [m.text, m.tier, m.source]);
const allRows = () => h.db.prepare('SELECT id, owner, text, tier, superseded_by, invalidated_at FROM memories ORDER BY id').all();

describe('extraction decisions', () => {
  it('adds new facts with their tier, as extracted; shows the model related notes as data', async () => {
    const tea = h.memory.add(ANN, 'The user likes green tea', 'long', 'explicit');
    h.memory.add(BOB, 'The user likes green tea with jasmine', 'long', 'explicit');
    const model = scripted(
      JSON.stringify({
        memories: [
          { action: 'add', text: 'The user is flying to Lisbon on Friday', tier: 'short' },
          { action: 'add', text: 'The user is  tired today', tier: 'session' },
        ],
      }),
    );
    const r = await run(model, 'I fly to Lisbon on Friday, so tired today. Any green tea there?', 'Have a good trip!');
    expect(r.outcome).toBe('ok');
    expect(r.decisions.map((d) => d.op)).toEqual(['added', 'added']);
    expect(live()).toEqual([
      ['The user is tired today', 'session', 'extracted'],
      ['The user is flying to Lisbon on Friday', 'short', 'extracted'],
      ['The user likes green tea', 'long', 'explicit'],
    ]);
    expect(model.calls).toHaveLength(1);
    const call = model.calls[0]!;
    expect(call.userKey).toBe(ANN);
    expect(call.system).toBe(EXTRACTION_SYSTEM);
    // Only Ann's related notes are shown, with their ids.
    expect(call.input.known_notes).toEqual([{ id: tea.id, tier: 'long', text: 'The user likes green tea' }]);
    expect(call.input.exchange).toEqual({ user: 'I fly to Lisbon on Friday, so tired today. Any green tea there?', assistant: 'Have a good trip!' });
  });

  it('update supersedes the old note (kept as history); invalidate keeps it as history too', async () => {
    const paris = h.memory.add(ANN, 'The user lives in Paris', 'long', 'extracted');
    const car = h.memory.add(ANN, 'The user lives with a car called Betty', 'short', 'extracted');
    const model = scripted(
      JSON.stringify({
        memories: [
          { action: 'update', id: paris.id, text: 'The user lives in Berlin since May' },
          { action: 'invalidate', id: car.id },
        ],
      }),
    );
    const r = await run(model, 'I moved to Berlin in May and sold the car; I no longer live with Betty.');
    expect(r.decisions.map((d) => d.op)).toEqual(['updated', 'invalidated']);
    expect(live()).toEqual([['The user lives in Berlin since May', 'long', 'extracted']]);
    const next = h.memory.list(ANN, 1).memories[0]!;
    expect(allRows()).toEqual([
      { id: paris.id, owner: ANN, text: 'The user lives in Paris', tier: 'long', superseded_by: next.id, invalidated_at: h.clock.now() },
      { id: car.id, owner: ANN, text: 'The user lives with a car called Betty', tier: 'short', superseded_by: null, invalidated_at: h.clock.now() },
      { id: next.id, owner: ANN, text: 'The user lives in Berlin since May', tier: 'long', superseded_by: null, invalidated_at: null },
    ]);
  });

  it('ignores what it already knows, ids it was not shown (another person\'s included), and a second change of one note', async () => {
    const tea = h.memory.add(ANN, 'The user likes green tea', 'long', 'explicit');
    const hidden = h.memory.add(ANN, 'The user has a cat named Miso', 'long', 'explicit');
    const bobs = h.memory.add(BOB, 'Bob likes green tea too', 'long', 'explicit');
    const model = scripted(
      JSON.stringify({
        memories: [
          { action: 'add', text: 'the user likes green tea.', tier: 'long' },
          { action: 'update', id: tea.id, text: 'The user likes green tea', tier: 'long' },
          { action: 'invalidate', id: bobs.id },
          { action: 'update', id: bobs.id, text: 'Ann owns this now', tier: 'long' },
          { action: 'invalidate', id: hidden.id },
          { action: 'invalidate', id: 99_999 },
          { action: 'update', id: tea.id, text: 'The user likes jasmine green tea' },
          { action: 'invalidate', id: tea.id },
        ],
      }),
    );
    const r = await run(model, 'Green tea please');
    expect(r.decisions.map((d) => (d.op === 'ignored' ? `ignored: ${d.why}` : d.op))).toEqual([
      `ignored: already known as #${tea.id}`,
      'ignored: unchanged',
      'ignored: not one of the notes shown',
      'ignored: not one of the notes shown',
      'ignored: not one of the notes shown',
      'ignored: not one of the notes shown',
      'updated',
      'ignored: already changed in this exchange',
    ]);
    expect(live()).toEqual([
      ['The user likes jasmine green tea', 'long', 'extracted'],
      ['The user has a cat named Miso', 'long', 'explicit'],
    ]);
    expect(h.memory.get(BOB, bobs.id)?.text).toBe('Bob likes green tea too');
  });

  it('an update that now says what another note says retires the old note in favour of that one', async () => {
    const lyon = h.memory.add(ANN, 'The user works in Lyon', 'long', 'extracted');
    const berlin = h.memory.add(ANN, 'The user works in Berlin', 'long', 'explicit');
    const model = scripted(JSON.stringify({ memories: [{ action: 'update', id: lyon.id, text: 'The user works in Berlin.' }] }));
    const r = await run(model, 'I do not work in Lyon any more, only Berlin');
    expect(r.decisions).toEqual([{ op: 'invalidated', id: lyon.id, by: berlin.id }]);
    expect(live()).toEqual([['The user works in Berlin', 'long', 'explicit']]);
  });

  it('malformed output changes nothing', async () => {
    const tea = h.memory.add(ANN, 'The user likes green tea', 'long', 'explicit');
    const before = allRows();
    const answers = [
      'Sure! I will remember that the user likes coffee.',
      '{"memories": [{"action": "add", "text": "likes coffee", "tier": "forever"}]}',
      `{"memories": [{"action": "add", "text": "likes coffee", "tier": "long"}, {"action": "delete", "id": ${tea.id}}]}`,
      `{"memories": [{"action": "invalidate", "id": "${tea.id}"}]}`,
      `{"memories": [{"action": "invalidate", "id": ${tea.id}, "reason": "extra field"}]}`,
      '{"memories": [{"action": "add", "text": "likes coffee", "tier": "long"}]} and also this',
      '{"facts": []}',
      `{"memories": ${JSON.stringify(Array.from({ length: 11 }, (_, i) => ({ action: 'add', text: `fact ${i}`, tier: 'long' })))}}`,
      '',
      'null',
    ];
    for (const a of answers) {
      const r = await run(scripted(a), 'I like green tea and coffee');
      expect(r, a).toEqual({ outcome: 'malformed', decisions: [] });
    }
    const failed = await run(scripted(new LlmError('budget', 'The daily budget is used up.')), 'I like coffee');
    expect(failed).toMatchObject({ outcome: 'failed', decisions: [], error: expect.stringMatching(/budget/) });
    expect(allRows()).toEqual(before);
  });

  it('accepts the JSON in a ```json fence and an empty list', async () => {
    const fenced = scripted('```json\n{"memories": [{"action": "add", "text": "The user plays cello", "tier": "long"}]}\n```');
    expect((await run(fenced, 'I play the cello')).decisions.map((d) => d.op)).toEqual(['added']);
    expect(await run(scripted('{"memories": []}'), 'hello')).toEqual({ outcome: 'ok', decisions: [] });
    expect(live()).toEqual([['The user plays cello', 'long', 'extracted']]);
  });

  it('drops additions over the per-person limit and texts over MEMORY_MAX_CHARS', async () => {
    const small = makeMemoryHarness({ MEMORY_MAX_PER_USER: '1', MEMORY_MAX_CHARS: '40' });
    const model = scripted(
      JSON.stringify({
        memories: [
          { action: 'add', text: 'The user plays cello', tier: 'long' },
          { action: 'add', text: 'The user has a very long fact that does not fit here', tier: 'long' },
          { action: 'add', text: 'The user plays chess', tier: 'long' },
        ],
      }),
    );
    try {
      const r = await run(model, 'cello and chess', 'Nice.', ANN, small);
      expect(r.decisions.map((d) => (d.op === 'ignored' ? d.why : d.op))).toEqual(['added', 'empty or too long', 'memory limit reached']);
    } finally {
      small.close();
    }
  });
});
