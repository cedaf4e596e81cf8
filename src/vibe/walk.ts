import { readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { relativeTo } from './paths.js';

export interface TreeEntry {
  abs: string;
  /** Relative to the workspace root, '/' separated. */
  rel: string;
  kind: 'dir' | 'file' | 'symlink' | 'other';
  /** 1 for the children of the starting folder. */
  depth: number;
}

/** Shown as folders but never entered: their contents are large and not the model's to browse. */
export const OPAQUE_DIRS = new Set(['.git', 'node_modules']);

function kindOf(d: Dirent): TreeEntry['kind'] {
  if (d.isSymbolicLink()) return 'symlink';
  if (d.isDirectory()) return 'dir';
  if (d.isFile()) return 'file';
  return 'other';
}

/**
 * The tree under `start`, breadth first (so a truncated listing keeps the top levels), sorted
 * within each folder. Symlinks are reported, never followed: no loops, no escapes. Unreadable
 * folders are skipped.
 */
export function* walkTree(root: string, start: string, maxDepth: number): Generator<TreeEntry> {
  let level = [start];
  for (let depth = 1; depth <= maxDepth && level.length > 0; depth++) {
    const next: string[] = [];
    for (const dir of level) {
      let items: Dirent[];
      try {
        items = readdirSync(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      items.sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
      for (const item of items) {
        const abs = join(dir, item.name);
        const kind = kindOf(item);
        yield { abs, rel: relativeTo(root, abs), kind, depth };
        if (kind === 'dir' && !OPAQUE_DIRS.has(item.name)) next.push(abs);
      }
    }
    level = next;
  }
}
