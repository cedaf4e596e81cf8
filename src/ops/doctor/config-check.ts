import type { ConfigResult } from '../../config.js';
import { fail, pass, type CheckResult } from './types.js';

/** The configuration parses. Errors name variables only, never values (parseConfig's promise). */
export function configResult(parsed: ConfigResult, envFiles: string[]): CheckResult {
  const from = envFiles.length ? `.env: ${envFiles.join(', ')}` : 'no .env file; from the environment';
  if (parsed.ok) return pass(`valid (${from})`);
  return fail(`${parsed.errors.length} problem(s): ${parsed.errors.join('; ')} (${from})`, 'fix those variables in .env or the environment (docs/operations.md lists them)');
}
