import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

/**
 * Imports every module in a top-level folder (handlers/, conversations/, jobs/), so adding a
 * feature is adding a file. Works from src/ under tsx and from dist/ once built.
 */
export async function loadFolder<T>(folder: 'handlers' | 'conversations' | 'jobs', check: (x: unknown) => x is T): Promise<T[]> {
  const dir = fileURLToPath(new URL(`../../${folder}/`, import.meta.url));
  const files = readdirSync(dir)
    .filter((f) => /\.(js|ts)$/.test(f) && !f.endsWith('.d.ts') && !f.includes('.test.'))
    .sort();
  const out: T[] = [];
  for (const f of files) {
    const mod = (await import(pathToFileURL(join(dir, f)).href)) as { default?: unknown };
    if (!check(mod.default)) throw new Error(`${folder}/${f} must default-export a valid ${folder.replace(/s$/, '')}`);
    out.push(mod.default);
  }
  return out;
}
