/**
 * A benchmark's command line: `--name N` or `--name=N` for whole-number options, each with a
 * default. Option names are the defaults' keys; anything else stops the run with the usage line.
 */
export function wholeNumberOptions<T extends Record<string, number>>(argv: readonly string[], defaults: T, script: string, min: Partial<Record<keyof T, number>> = {}): T {
  const opts: Record<string, number> = { ...defaults };
  const usage = `usage: ${script} ${Object.keys(defaults).map((k) => `[--${k} N]`).join(' ')}`;
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split('=', 2) as [string, string | undefined];
    const key = flag.startsWith('--') ? flag.slice(2) : '';
    const value = Number(inline ?? argv[++i]);
    if (!(key in defaults) || !Number.isInteger(value) || value < (min[key as keyof T] ?? 1)) throw new Error(`${usage} (bad argument ${flag})`);
    opts[key] = value;
  }
  return opts as T;
}
