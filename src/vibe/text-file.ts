/** How the workspace tells text from binary, and how it names sizes in refusals. */

/** Bytes inspected for a NUL: the same rule git and grep use to call a file binary. */
export const BINARY_SNIFF_BYTES = 8 * 1024;

export function looksBinary(bytes: Buffer): boolean {
  return bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}

/** '812 B', '256 KB', '1.5 MB': for messages a person reads. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${round(n / 1024)} KB`;
  return `${round(n / (1024 * 1024))} MB`;
}

function round(x: number): string {
  return x >= 10 ? String(Math.round(x)) : String(Math.round(x * 10) / 10);
}
