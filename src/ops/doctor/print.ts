import type { CheckStatus } from './types.js';
import type { CheckLine } from './runner.js';

/** Doctor's output: one line per check, `STATUS  name  what was found — fix: what to do`. */

const LABEL: Record<CheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL', skip: 'SKIP' };
const NAME_WIDTH = 14;

export function formatLine(line: CheckLine, secrets: readonly string[] = []): string {
  const r = line.result;
  let text = `${LABEL[r.status]}  ${line.name.padEnd(NAME_WIDTH)} ${r.detail}`;
  if (r.fix && (r.status === 'warn' || r.status === 'fail')) text += ` — fix: ${r.fix}`;
  if (line.fixed) text += ` (fixed: ${line.fixed})`;
  if (line.notFixed) text += ` (not fixed: ${line.notFixed})`;
  return scrub(text, secrets);
}

export function formatSummary(lines: readonly CheckLine[]): string {
  const n = (s: CheckStatus) => lines.filter((l) => l.result.status === s).length;
  const fixed = lines.filter((l) => l.fixed).length;
  return `${n('pass')} passed, ${n('warn')} warning(s), ${n('fail')} failed, ${n('skip')} skipped${fixed ? `; fixed ${fixed}` : ''}.`;
}

/** Belt and braces: no check prints a secret, and this makes sure of it. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length >= 6) out = out.split(s).join('[redacted]');
  return out;
}
