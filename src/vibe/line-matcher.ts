import { Script, createContext } from 'node:vm';
import { WorkspaceError } from './workspace-error.js';

/**
 * How search decides which lines match. A regex from the model could backtrack for minutes
 * ("(a+)+b"), so it runs inside a vm context whose `timeout` interrupts even a running regex;
 * every file scanned shares one deadline.
 */

/** Indices (0-based) of matching lines, at most `max` of them. */
export type LineMatcher = (lines: string[], max: number) => number[];

export const MAX_PATTERN_LENGTH = 1000;

export function literalMatcher(pattern: string, ignoreCase: boolean): LineMatcher {
  const needle = ignoreCase ? pattern.toLowerCase() : pattern;
  return (lines, max) => {
    const out: number[] = [];
    for (let i = 0; i < lines.length && out.length < max; i++) {
      const line = ignoreCase ? lines[i]!.toLowerCase() : lines[i]!;
      if (line.includes(needle)) out.push(i);
    }
    return out;
  };
}

const SCAN_SOURCE = `(function (source, flags) {
  const re = new RegExp(source, flags);
  return function (lines, max) {
    const out = [];
    for (let i = 0; i < lines.length && out.length < max; i++) if (re.test(lines[i])) out.push(i);
    return out;
  };
})`;

/** A regex matcher; throws WorkspaceError for an invalid pattern or when `deadline` (ms epoch) passes. */
export function regexMatcher(pattern: string, ignoreCase: boolean, deadline: number, budgetMs: number): LineMatcher {
  const flags = ignoreCase ? 'i' : '';
  try {
    new RegExp(pattern, flags);
  } catch (err) {
    throw new WorkspaceError(`That regex is not valid: ${(err as Error).message}`);
  }
  const context = createContext({ source: pattern, flags, lines: [] as string[], max: 0 });
  new Script(`scan = ${SCAN_SOURCE}(source, flags)`).runInContext(context);
  const call = new Script('Array.from(scan(lines, max))');
  return (lines, max) => {
    const left = deadline - Date.now();
    if (left <= 0) throw tooSlow(budgetMs);
    context.lines = lines;
    context.max = max;
    try {
      return (call.runInContext(context, { timeout: Math.max(1, Math.floor(left)) }) as number[]).map(Number);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') throw tooSlow(budgetMs);
      throw err;
    } finally {
      context.lines = [];
    }
  };
}

function tooSlow(budgetMs: number): WorkspaceError {
  return new WorkspaceError(
    `The search took longer than ${budgetMs} ms and was stopped; use a simpler pattern (or a literal search) or a narrower folder.`,
  );
}
