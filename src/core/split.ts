import type { Span } from './message.js';

/**
 * Splits spans into chunks whose rendered length stays within `limit`, breaking on line
 * boundaries where it can and inside a line only when one line alone is too long.
 */
export function splitSpans(spans: Span[], limit: number, render: (spans: Span[]) => string): Span[][] {
  if (render(spans).length <= limit) return [spans];
  const lines = toLines(spans);
  const chunks: Span[][] = [];
  let current: Span[] = [];
  const flush = () => {
    if (current.length) chunks.push(trimTrailingNewline(current));
    current = [];
  };
  for (const line of lines) {
    const candidate = [...current, ...line];
    if (render(candidate).length <= limit) {
      current = candidate;
      continue;
    }
    flush();
    if (render(line).length <= limit) {
      current = [...line];
      continue;
    }
    for (const piece of hardSplit(line, limit, render)) chunks.push(piece);
  }
  flush();
  return chunks.filter((c) => c.some((s) => s.text.length > 0));
}

/** Lines keep their newline on the last span, so joined chunks read as the original. */
function toLines(spans: Span[]): Span[][] {
  const lines: Span[][] = [];
  let line: Span[] = [];
  for (const s of spans) {
    const parts = s.text.split('\n');
    parts.forEach((p, i) => {
      const last = i === parts.length - 1;
      const text = last ? p : `${p}\n`;
      if (text) line.push({ ...s, text });
      if (!last) {
        lines.push(line);
        line = [];
      }
    });
  }
  if (line.length) lines.push(line);
  return lines;
}

function trimTrailingNewline(spans: Span[]): Span[] {
  const out = [...spans];
  const last = out[out.length - 1];
  if (last && last.text.endsWith('\n')) out[out.length - 1] = { ...last, text: last.text.slice(0, -1) };
  return out;
}

/** Cuts one over-long line by characters, never inside a surrogate pair. */
function hardSplit(line: Span[], limit: number, render: (spans: Span[]) => string): Span[][] {
  const out: Span[][] = [];
  let current: Span[] = [];
  for (const span of line) {
    let rest = [...span.text];
    while (rest.length) {
      // Largest prefix of `rest` that still fits next to `current`, by binary search.
      let lo = 0;
      let hi = rest.length;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (render([...current, { ...span, text: rest.slice(0, mid).join('') }]).length <= limit) lo = mid;
        else hi = mid - 1;
      }
      if (lo === 0) {
        if (current.length === 0) lo = 1; // cannot happen with a sane limit; avoid looping forever
        else {
          out.push(current);
          current = [];
          continue;
        }
      }
      current.push({ ...span, text: rest.slice(0, lo).join('') });
      rest = rest.slice(lo);
      if (rest.length) {
        out.push(current);
        current = [];
      }
    }
  }
  if (current.length) out.push(current);
  return out;
}
