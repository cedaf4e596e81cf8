import { pino, type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Field paths pino blanks out wherever they appear. */
const REDACT_PATHS = [
  'token', '*.token', 'botToken', '*.botToken', 'apiKey', '*.apiKey', 'secret', '*.secret',
  'password', '*.password', 'authorization', '*.authorization', 'headers.authorization',
  'headers["x-api-key"]', 'config.telegram.token', 'privateKey', '*.privateKey',
];

/** Replaces every known secret value inside a string (URLs and error messages can carry tokens). */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s) out = out.split(s).join('[REDACTED]');
  return out;
}

function scrubWalk(v: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof v === 'string') return scrubSecrets(v, secrets);
  if (depth > 8 || v === null || typeof v !== 'object' || v instanceof Error) return v;
  if (Array.isArray(v)) return v.map((x) => scrubWalk(x, secrets, depth + 1));
  if (Object.getPrototypeOf(v) !== Object.prototype) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) out[k] = scrubWalk(x, secrets, depth + 1);
  return out;
}

export function createLogger(opts: {
  level: string;
  secrets?: readonly string[];
  destination?: DestinationStream;
}): Logger {
  const secrets = opts.secrets ?? [];
  /** Any value, however deeply a secret hides in it (a URL inside an error's cause). */
  const scrubDeep = <T>(v: T): T => {
    if (secrets.length === 0) return v;
    const json = JSON.stringify(v);
    return json !== undefined && secrets.some((s) => s && json.includes(s)) ? (JSON.parse(scrubSecrets(json, secrets)) as T) : v;
  };
  return pino(
    {
      level: opts.level,
      base: { app: 'jarvis' },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      serializers: {
        err: (err: unknown) => scrubDeep(pino.stdSerializers.err(err as Error)),
      },
      formatters: {
        // Runs before the serializers: walk plain values, leave Errors to the err serializer.
        log: (obj) => (secrets.length ? (scrubWalk(obj, secrets, 0) as typeof obj) : obj),
      },
      hooks: {
        // The last line of defence: a secret inside any string argument is scrubbed.
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrubSecrets(a, secrets) : a));
          return method.apply(this, scrubbed as Parameters<typeof method>);
        },
      },
    },
    opts.destination ?? pino.destination(2),
  );
}
