import { extname } from 'node:path';
import { z } from 'zod';
import type { ToolSpec } from '../llm/types.js';
import type { SandboxKind } from './sandbox.js';
import { runSandboxed } from './sandbox.js';
import { isSecretPath, lineDiffStats, Workspace, WorkspaceError } from './workspace.js';
import { headUnits } from '../core/render.js';

/**
 * The only things the model can do in a workspace, each checked here: list, read, search, create
 * or overwrite, edit by exact string replacement, delete, run a command (in the sandbox). Inputs
 * are validated with zod; every result is text for the model plus one line for the person.
 * Risky calls (commands, deletes, writing a file type outside the allowlist) go through `approve`
 * first; a refusal is returned to the model as an error result, never thrown.
 */

export const VIBE_TOOLS: ToolSpec[] = [
  {
    name: 'list_files',
    description: 'List files and folders in the workspace (folders end with /). Paths are relative to the workspace root.',
    inputSchema: { type: 'object', properties: { path: { type: 'string', description: 'Folder to list, default "."' }, depth: { type: 'integer', minimum: 1, maximum: 6 } } },
  },
  {
    name: 'read_file',
    description: 'Read a UTF-8 text file from the workspace.',
    inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
  {
    name: 'search',
    description: 'Find lines containing a string (or a regular expression with regex=true) in the workspace text files.',
    inputSchema: { type: 'object', properties: { pattern: { type: 'string' }, path: { type: 'string' }, regex: { type: 'boolean' } }, required: ['pattern'] },
  },
  {
    name: 'create_file',
    description: 'Create a new file, or replace a whole file. For small changes to an existing file use edit_file instead.',
    inputSchema: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } }, required: ['path', 'content'] },
  },
  {
    name: 'edit_file',
    description: 'Replace exactly one occurrence of old_string with new_string in a file. old_string must match the file exactly (whitespace included) and occur once; include surrounding lines to make it unique.',
    inputSchema: { type: 'object', properties: { path: { type: 'string' }, old_string: { type: 'string' }, new_string: { type: 'string' } }, required: ['path', 'old_string', 'new_string'] },
  },
  {
    name: 'delete_file',
    description: 'Delete a file (asks the person first).',
    inputSchema: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
  },
  {
    name: 'run_command',
    description: 'Run a shell command in the workspace, inside a sandbox with no network, a time limit and an output limit (asks the person first).',
    inputSchema: { type: 'object', properties: { command: { type: 'string' } }, required: ['command'] },
  },
];

const path = z.string().min(1).max(1_000);
const inputs = {
  list_files: z.object({ path: path.optional(), depth: z.number().int().min(1).max(6).optional() }),
  read_file: z.object({ path }),
  search: z.object({ pattern: z.string().min(1).max(500), path: path.optional(), regex: z.boolean().optional() }),
  create_file: z.object({ path, content: z.string().max(2_000_000) }),
  edit_file: z.object({ path, old_string: z.string().min(1).max(500_000), new_string: z.string().max(500_000) }),
  delete_file: z.object({ path }),
  run_command: z.object({ command: z.string().min(1).max(10_000) }),
};

export interface ToolOutcome {
  /** For the model (tool_result content). */
  result: string;
  isError: boolean;
  /** One line for the person: "edited src/app.ts (+12 −3)". */
  summary: string;
}

export interface ApprovalRequest {
  kind: 'command' | 'delete' | 'write';
  /** What the person sees: the full command, or the change. */
  detail: string;
}

export interface ToolContext {
  workspace: Workspace;
  sandbox: { kind: SandboxKind; reason?: string };
  commandTimeoutMs: number;
  commandMaxOutputBytes: number;
  safeExtensions: readonly string[];
  /** Host folders to hide inside the sandbox even if they sit under a bound one (the data dir, Jarvis itself). */
  hideHostPaths: string[];
  signal?: AbortSignal;
  /** Resolves true when the person allows it. */
  approve(req: ApprovalRequest): Promise<boolean>;
  /** Refuses work that changes files or runs commands (lockdown); returns the reason, or undefined. */
  refusal(): string | undefined;
}

const fail = (summary: string, result: string): ToolOutcome => ({ summary, result, isError: true });
const stats = (s: { added: number; removed: number }) => `(+${s.added} −${s.removed})`;

function needsApproval(ctx: ToolContext, rel: string): boolean {
  const ext = extname(rel).replace(/^\./, '').toLowerCase() || rel.split('/').pop()!.replace(/^\./, '').toLowerCase();
  return !ctx.safeExtensions.includes(ext);
}

/** Runs one tool call; never throws for anything the model or the workspace did wrong. */
export async function runTool(name: string, rawInput: unknown, ctx: ToolContext): Promise<ToolOutcome> {
  const schema = inputs[name as keyof typeof inputs];
  if (!schema) return fail(`unknown tool ${name}`, `There is no tool called ${name}.`);
  const parsed = schema.safeParse(rawInput);
  if (!parsed.success) return fail(`${name}: bad input`, `Invalid input for ${name}: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'} ${i.message}`).join('; ')}`);
  try {
    return await dispatch(name as keyof typeof inputs, parsed.data as never, ctx);
  } catch (err) {
    if (err instanceof WorkspaceError) return fail(`refused: ${err.userMessage}`, err.userMessage);
    throw err;
  }
}

async function dispatch<K extends keyof typeof inputs>(name: K, input: z.infer<(typeof inputs)[K]>, ctx: ToolContext): Promise<ToolOutcome> {
  const ws = ctx.workspace;
  switch (name) {
    case 'list_files': {
      const i = input as z.infer<typeof inputs.list_files>;
      const r = ws.list(i.path ?? '.', { depth: i.depth });
      return { summary: `listed ${i.path ?? '.'} (${r.entries.length} entries)`, result: r.entries.join('\n') + (r.truncated ? '\n… (more entries not shown)' : '') || '(empty)', isError: false };
    }
    case 'read_file': {
      const i = input as z.infer<typeof inputs.read_file>;
      const text = ws.read(i.path);
      return { summary: `read ${i.path} (${text.split('\n').length} lines)`, result: text, isError: false };
    }
    case 'search': {
      const i = input as z.infer<typeof inputs.search>;
      const r = ws.search(i.pattern, { dir: i.path, regex: i.regex });
      const lines = r.matches.map((m) => `${m.path}:${m.line}: ${m.text}`);
      return { summary: `searched for "${i.pattern}" (${r.matches.length} matches)`, result: lines.join('\n') + (r.truncated ? '\n… (more matches not shown)' : '') || 'No matches.', isError: false };
    }
    case 'create_file': {
      const i = input as z.infer<typeof inputs.create_file>;
      const refused = ctx.refusal();
      if (refused) return fail(`refused: ${refused}`, refused);
      if (isSecretPath(i.path)) return fail(`refused: ${i.path} looks like a secret file`, `${i.path} looks like a secret file; Jarvis does not write those.`);
      if (needsApproval(ctx, i.path) && !(await ctx.approve({ kind: 'write', detail: `Write ${i.path} (${i.content.split('\n').length} lines):\n${i.content}` }))) {
        return fail(`not allowed: write ${i.path}`, `The person did not allow writing ${i.path}.`);
      }
      const r = ws.write(i.path, i.content);
      return { summary: `${r.created ? 'created' : 'rewrote'} ${i.path} ${stats(r)}`, result: `${r.created ? 'Created' : 'Replaced'} ${i.path}.`, isError: false };
    }
    case 'edit_file': {
      const i = input as z.infer<typeof inputs.edit_file>;
      const refused = ctx.refusal();
      if (refused) return fail(`refused: ${refused}`, refused);
      if (needsApproval(ctx, i.path)) {
        const preview = lineDiffStats(i.old_string, i.new_string);
        const diff = [...i.old_string.split('\n').map((l) => `- ${l}`), ...i.new_string.split('\n').map((l) => `+ ${l}`)].join('\n');
        if (!(await ctx.approve({ kind: 'write', detail: `Edit ${i.path} ${stats(preview)}:\n${diff}` }))) return fail(`not allowed: edit ${i.path}`, `The person did not allow editing ${i.path}.`);
      }
      const r = ws.edit(i.path, i.old_string, i.new_string);
      return { summary: `edited ${i.path} ${stats(r)}`, result: `Edited ${i.path}.`, isError: false };
    }
    case 'delete_file': {
      const i = input as z.infer<typeof inputs.delete_file>;
      const refused = ctx.refusal();
      if (refused) return fail(`refused: ${refused}`, refused);
      ws.resolve(i.path);
      if (!(await ctx.approve({ kind: 'delete', detail: `Delete ${i.path}` }))) return fail(`not allowed: delete ${i.path}`, `The person did not allow deleting ${i.path}.`);
      ws.remove(i.path);
      return { summary: `deleted ${i.path}`, result: `Deleted ${i.path}.`, isError: false };
    }
    case 'run_command': {
      const i = input as z.infer<typeof inputs.run_command>;
      const refused = ctx.refusal();
      if (refused) return fail(`refused: ${refused}`, refused);
      if (ctx.sandbox.kind === 'none') {
        const why = `Running commands is off: there is no sandbox on this server (${ctx.sandbox.reason ?? 'bubblewrap is not available'}).`;
        return fail('command not run: no sandbox', why);
      }
      if (!(await ctx.approve({ kind: 'command', detail: i.command }))) return fail(`not allowed: ${oneLine(i.command)}`, 'The person did not allow this command.');
      const r = await runSandboxed(ctx.workspace.root, i.command, { timeoutMs: ctx.commandTimeoutMs, maxOutputBytes: ctx.commandMaxOutputBytes, signal: ctx.signal, sandbox: ctx.sandbox.kind, hideHostPaths: ctx.hideHostPaths });
      const secs = `${(r.ms / 1000).toFixed(1)} s`;
      if (r.timedOut) return fail(`ran \`${oneLine(i.command)}\`: killed after ${secs} (time limit)`, `The command was killed at the time limit (${Math.round(ctx.commandTimeoutMs / 1000)} s).\n${r.output}`);
      if (r.aborted) return fail(`ran \`${oneLine(i.command)}\`: stopped`, 'The command was stopped by the person.');
      const status = r.exitCode === null ? `signal ${r.signal}` : `exit ${r.exitCode}`;
      return { summary: `ran \`${oneLine(i.command)}\` (${status}, ${secs})`, result: `${status}${r.truncated ? ' (output truncated)' : ''}\n${r.output}`, isError: r.exitCode !== 0 };
    }
  }
  return fail(`unknown tool ${String(name)}`, `There is no tool called ${String(name)}.`);
}

function oneLine(command: string): string {
  const first = command.split('\n')[0]!;
  return first.length > 60 || command.includes('\n') ? `${headUnits(first, 57)}…` : first;
}
