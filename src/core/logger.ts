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

export function createLogger(opts: {
  level: string;
  secrets?: readonly string[];
  destination?: DestinationStream;
}): Logger {
  const secrets = opts.secrets ?? [];
  const scrub = (v: unknown): unknown => (typeof v === 'string' ? scrubSecrets(v, secrets) : v);
  return pino(
    {
      level: opts.level,
      base: { app: 'jarvis' },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      serializers: {
        err: (err: unknown) => {
          const s = pino.stdSerializers.err(err as Error) as unknown as Record<string, unknown>;
          return { ...s, message: scrub(s.message), stack: scrub(s.stack) };
        },
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
