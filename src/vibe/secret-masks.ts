import { join } from 'node:path';
import { SANDBOX_WORKDIR, type SandboxMask } from './bwrap-args.js';
import { isSecretPath } from './secrets.js';
import { walkTree } from './walk.js';

/**
 * The workspace's secret-looking files and folders, as sandbox masks: a command sees an empty file
 * or folder there, so `cat .env` cannot carry a secret into the model past the file tools' refusal.
 * Only the tree as it is when the command starts (a secret created during the command is visible to
 * it), not inside .git or node_modules, symlinks not followed, and the walk stops after `maxEntries`.
 */
export function secretMasks(root: string, maxEntries = 50_000): SandboxMask[] {
  const masks: SandboxMask[] = [];
  const maskedDirs: string[] = [];
  let seen = 0;
  for (const e of walkTree(root, root, 32)) {
    if (++seen > maxEntries) break;
    if (e.kind !== 'dir' && e.kind !== 'file') continue;
    if (!isSecretPath(e.rel) || maskedDirs.some((d) => e.rel.startsWith(d))) continue;
    masks.push({ path: join(SANDBOX_WORKDIR, e.rel), kind: e.kind });
    if (e.kind === 'dir') maskedDirs.push(`${e.rel}/`);
  }
  return masks;
}
