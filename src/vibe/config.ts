import { z } from 'zod';
import { int } from '../config-fields.js';

/** The /vibe part of the environment, merged into config.ts's schema. */

const extensions = z.string().transform((s) => s.split(',').map((x) => x.trim().replace(/^\./, '').toLowerCase()).filter(Boolean));

export const vibeEnv = {
  VIBE_MAX_STEPS: int(1, 100).default(20),
  VIBE_MAX_OUTPUT_TOKENS: int(256, 64_000).default(4_096),
  VIBE_CONTEXT_TOKENS: int(1_000, 500_000).default(40_000),
  VIBE_COMMAND_TIMEOUT_SEC: int(1, 3_600).default(60),
  VIBE_COMMAND_MAX_OUTPUT_KB: int(1, 10_240).default(64),
  VIBE_APPROVAL_TIMEOUT_SEC: int(1, 86_400).default(120),
  VIBE_SANDBOX: z.enum(['auto', 'bwrap', 'none']).default('auto'),
  VIBE_SAFE_EXTENSIONS: extensions.default(['ts', 'tsx', 'js', 'jsx', 'mjs', 'cjs', 'py', 'rb', 'go', 'rs', 'java', 'kt', 'c', 'h', 'cpp', 'hpp', 'cs', 'php', 'swift', 'md', 'txt', 'json', 'yaml', 'yml', 'toml', 'css', 'scss', 'html', 'svg', 'sql', 'csv', 'xml', 'gitignore']),
};

export interface VibeConfig {
  maxSteps: number;
  maxOutputTokens: number;
  contextTokens: number;
  commandTimeoutMs: number;
  commandMaxOutputBytes: number;
  approvalTimeoutMs: number;
  sandbox: 'auto' | 'bwrap' | 'none';
  /** Writing these needs no approval; anything else asks first. */
  safeExtensions: string[];
}

const schema = z.object(vibeEnv);

export function vibeConfigFrom(e: z.infer<typeof schema>): VibeConfig {
  return {
    maxSteps: e.VIBE_MAX_STEPS,
    maxOutputTokens: e.VIBE_MAX_OUTPUT_TOKENS,
    contextTokens: e.VIBE_CONTEXT_TOKENS,
    commandTimeoutMs: e.VIBE_COMMAND_TIMEOUT_SEC * 1000,
    commandMaxOutputBytes: e.VIBE_COMMAND_MAX_OUTPUT_KB * 1024,
    approvalTimeoutMs: e.VIBE_APPROVAL_TIMEOUT_SEC * 1000,
    sandbox: e.VIBE_SANDBOX,
    safeExtensions: e.VIBE_SAFE_EXTENSIONS,
  };
}
