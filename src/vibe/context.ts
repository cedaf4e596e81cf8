import type { AgentMessage, ContentBlock } from '../llm/types.js';
import type { StoredMessage } from './store.js';
import { headUnits } from '../core/render.js';

/**
 * What of a session goes back to the model: the most recent messages verbatim, within a token
 * budget (about 4 characters a token), starting at a person's message so tool calls and their
 * results stay paired; what is older is folded into a summary. A tool call left without its result
 * (a restart or /vibe stop mid-step) gets a result saying so, as the API requires.
 */

export interface SessionContext {
  messages: AgentMessage[];
  /** Messages that no longer fit, to fold into the summary (oldest first), and the last one's id. */
  toFold?: { messages: StoredMessage[]; throughId: number };
}

const size = (m: AgentMessage): number => Math.ceil(JSON.stringify(m.content).length / 4);

/** A person's own message (not a list of tool results): a safe place to start the context. */
const startsTurn = (m: AgentMessage): boolean => m.role === 'user' && m.content.some((b) => b.type === 'text');

export function repairToolPairs(messages: AgentMessage[]): AgentMessage[] {
  const out: AgentMessage[] = [];
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i]!;
    out.push(m);
    const calls = m.role === 'assistant' ? m.content.filter((b): b is Extract<ContentBlock, { type: 'tool_use' }> => b.type === 'tool_use') : [];
    if (calls.length === 0) continue;
    const next = messages[i + 1];
    const answered = new Set(next?.role === 'user' ? next.content.filter((b) => b.type === 'tool_result').map((b) => (b as Extract<ContentBlock, { type: 'tool_result' }>).toolUseId) : []);
    const missing = calls.filter((c) => !answered.has(c.id)).map((c): ContentBlock => ({ type: 'tool_result', toolUseId: c.id, content: 'Not run: the turn was interrupted (Jarvis restarted or the person stopped it).', isError: true }));
    if (missing.length === 0) continue;
    if (next?.role === 'user' && answered.size > 0) {
      messages[i + 1] = { role: 'user', content: [...next.content, ...missing] };
    } else if (next?.role === 'user') {
      messages[i + 1] = { role: 'user', content: [...missing, ...next.content] };
    } else out.push({ role: 'user', content: missing });
  }
  return out;
}

export function buildContext(stored: StoredMessage[], budgetTokens: number): SessionContext {
  const live = stored.filter((m) => !m.summarized);
  const messages = repairToolPairs(live.map((m) => ({ role: m.role, content: m.content })));
  let total = messages.reduce((n, m) => n + size(m), 0);
  if (total <= budgetTokens) return { messages };
  // Drop from the front, one whole turn at a time, until the rest fits (always keep the last turn).
  let start = 0;
  while (total > budgetTokens) {
    let next = start + 1;
    while (next < messages.length && !startsTurn(messages[next]!)) next++;
    if (next >= messages.length) break;
    for (let i = start; i < next; i++) total -= size(messages[i]!);
    start = next;
  }
  if (start === 0) return { messages };
  // Map the dropped messages back to stored rows (repair may add synthetic ones, never rows).
  const dropped = live.slice(0, Math.min(start, live.length));
  return { messages: messages.slice(start), toFold: { messages: dropped, throughId: dropped[dropped.length - 1]!.id } };
}

/** The dropped messages as plain text for the summariser. */
export function transcript(messages: StoredMessage[]): string {
  return messages
    .map((m) =>
      m.content
        .map((b) => {
          if (b.type === 'text') return `${m.role === 'user' ? 'Person' : 'Claude'}: ${b.text}`;
          if (b.type === 'tool_use') return `Claude used ${b.name} ${headUnits(JSON.stringify(b.input), 300)}`;
          return `Result${b.isError ? ' (error)' : ''}: ${headUnits(b.content, 300)}`;
        })
        .join('\n'),
    )
    .join('\n');
}
