/**
 * Line counts for "edited src/app.ts (+12 −3)": the size of a shortest line edit script, as git
 * would count it. A missing final newline makes the last line differ, as in git.
 */
export interface LineDiffStats {
  added: number;
  removed: number;
  /** Set when the exact count would cost too much and a cheaper lower bound was returned. */
  approximate?: true;
}

/**
 * Myers' O((N+M)·D) algorithm, after trimming the common head and tail (so a small edit in a huge
 * file is cheap). When (N+M)·D would pass this many steps (e.g. rewriting most of a 5,000-line
 * file), the count falls back to a multiset comparison of lines, which ignores moved lines and so
 * may undercount; the result is marked `approximate`.
 */
const WORK_BUDGET = 20_000_000;

export function lineDiffStats(before: string, after: string): LineDiffStats {
  if (before === after) return { added: 0, removed: 0 };
  const [a, b] = internLines(splitLines(before), splitLines(after));
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const n = endA - start;
  const m = endB - start;
  if (n === 0 || m === 0) return { added: m, removed: n };

  const maxD = Math.min(n + m, Math.floor(WORK_BUDGET / (n + m)));
  const d = editDistance(a.subarray(start, endA), b.subarray(start, endB), maxD);
  if (d === null) return { ...multisetStats(a.subarray(start, endA), b.subarray(start, endB)), approximate: true };
  return { added: (d + m - n) / 2, removed: (d - m + n) / 2 };
}

/** Lines with their terminators kept, so "a\n" and "a" differ. */
function splitLines(s: string): string[] {
  const out: string[] = [];
  let from = 0;
  while (from < s.length) {
    const nl = s.indexOf('\n', from);
    const to = nl === -1 ? s.length : nl + 1;
    out.push(s.slice(from, to));
    from = to;
  }
  return out;
}

/** Lines as small integers, so comparisons in the hot loop are cheap. */
function internLines(a: string[], b: string[]): [Int32Array, Int32Array] {
  const ids = new Map<string, number>();
  const toIds = (lines: string[]) => {
    const out = new Int32Array(lines.length);
    lines.forEach((line, i) => {
      let id = ids.get(line);
      if (id === undefined) ids.set(line, (id = ids.size));
      out[i] = id;
    });
    return out;
  };
  return [toIds(a), toIds(b)];
}

/** The number of insertions plus deletions in a shortest edit script, or null past `maxD`. */
function editDistance(a: Int32Array, b: Int32Array, maxD: number): number | null {
  const n = a.length;
  const m = b.length;
  const offset = maxD + 1;
  const v = new Int32Array(2 * maxD + 3);
  for (let d = 0; d <= maxD; d++) {
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return d;
    }
  }
  return null;
}

/** Lines of `b` with no unused equal line in `a` count as added, and the reverse as removed. */
function multisetStats(a: Int32Array, b: Int32Array): { added: number; removed: number } {
  const counts = new Map<number, number>();
  for (const id of a) counts.set(id, (counts.get(id) ?? 0) + 1);
  let common = 0;
  for (const id of b) {
    const c = counts.get(id) ?? 0;
    if (c > 0) {
      counts.set(id, c - 1);
      common++;
    }
  }
  return { added: b.length - common, removed: a.length - common };
}
