/**
 * Latency summaries and the table the benchmarks print: n, mean and percentiles of samples in
 * milliseconds. A percentile is the nearest-rank value (no interpolation), so it is a real sample.
 */

export interface Latency {
  n: number;
  mean: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export function summarize(samples: readonly number[]): Latency {
  const sorted = Float64Array.from(samples).sort();
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
  const mean = sorted.reduce((a, b) => a + b, 0) / sorted.length;
  return { n: sorted.length, mean, p50: at(50), p95: at(95), p99: at(99), max: sorted[sorted.length - 1]! };
}

/** Rows aligned under `n mean ms p50 ms p95 ms p99 ms max ms`. */
export function latencyTable(rows: readonly [string, Latency][], digits = 2): string {
  const head = ['', 'n', 'mean ms', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms'];
  const body = rows.map(([name, s]) => [name, String(s.n), ...[s.mean, s.p50, s.p95, s.p99, s.max].map((v) => v.toFixed(digits))]);
  const all = [head, ...body];
  const widths = head.map((_, c) => Math.max(...all.map((r) => r[c]!.length)));
  return all.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  ')).join('\n');
}
