import { z } from 'zod';
import { formatIdentity, parseIdentity } from './access/roles.js';

/** The zod field types env variables are made of, shared by config.ts and the modules' own config parts. */

export const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { message: 'expected true or false' })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));

export const int = (min: number, max: number) =>
  z.coerce
    .number({ message: 'expected a whole number' })
    .int({ message: 'expected a whole number' })
    .min(min, { message: `expected at least ${min}` })
    .max(max, { message: `expected at most ${max}` });

export const num = (min: number, max: number) =>
  z.coerce
    .number({ message: 'expected a number' })
    .min(min, { message: `expected at least ${min}` })
    .max(max, { message: `expected at most ${max}` });

export const adminList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
  .refine((list) => list.every((x) => parseIdentity(x) !== undefined), {
    message: 'expected a comma-separated list of numeric ids like telegram:123,whatsapp:447700900000',
  })
  .transform((list) => list.map((x) => formatIdentity(parseIdentity(x)!)));

export const url = z.url({ message: 'expected an http(s) URL' }).refine((u) => /^https?:\/\//.test(u), {
  message: 'expected an http(s) URL',
});

export const cronExpr = z.string().regex(/^(\S+\s+){4,5}\S+$/, { message: 'expected a cron expression like "17 4 * * *"' });
