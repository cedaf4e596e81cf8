/**
 * What a Proxmox answer must look like, and reading one: body bytes to JSON, the `{ data }`
 * envelope every answer has, then a zod schema per endpoint. Proxmox habits handled here: numbers
 * that arrive as strings, booleans as 0/1, null or absent figures, lists as ';'/','-joined strings.
 * A shape that does not fit is a bad_response, never a crash further on.
 */
import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { badResponse } from './proxmox-failures.js';
import type { Answer } from './proxmox-transport.js';
import type {
  GuestResource,
  GuestState,
  GuestStatus,
  NodeResource,
  NodeState,
  NodeStatus,
  NodeSummary,
  ProxmoxVersion,
  StorageResource,
  TaskStatus,
} from './proxmox-types.js';
import { UPID_RE } from './proxmox-validation.js';
import { parseJsonOrUndefined } from '../core/json.js';

const numberLike = z.union([
  z.number(),
  z
    .string()
    .trim()
    .regex(/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/)
    .transform(Number),
]);
/** Proxmox numbers: sometimes strings, sometimes null, often absent. */
const optNum = numberLike.nullish().transform((v) => v ?? undefined);
const optStr = z.string().nullish().transform((v) => (v === null || v === undefined || v === '' ? undefined : v));
const flag = z
  .union([z.boolean(), numberLike])
  .nullish()
  .transform((v) => v === true || v === 1);
const tagList = z
  .string()
  .nullish()
  .transform((v) => (v ? v.split(/[;,\s]+/).filter((t) => t !== '') : []));

function nodeState(s: string | undefined): NodeState {
  return s === 'online' || s === 'offline' ? s : 'unknown';
}

function guestState(s: string | undefined): GuestState {
  if (s === 'running' || s === 'stopped') return s;
  if (s === 'paused' || s === 'suspended') return 'paused';
  return 'unknown';
}

const figures = {
  cpu: optNum,
  maxcpu: optNum,
  mem: optNum,
  maxmem: optNum,
  disk: optNum,
  maxdisk: optNum,
  uptime: optNum,
};

export const nodeRow = z
  .object({ id: optStr, node: z.string().min(1), status: optStr, level: optStr, ...figures })
  .transform((r): NodeResource => strip({ type: 'node' as const, ...r, status: nodeState(r.status) }));

export const guestRow = z
  .object({
    type: z.enum(['qemu', 'lxc']),
    id: optStr,
    vmid: numberLike.pipe(z.number().int()),
    name: optStr,
    node: z.string().min(1),
    status: optStr,
    template: flag,
    lock: optStr,
    hastate: optStr,
    pool: optStr,
    tags: tagList,
    ...figures,
  })
  .transform((r): GuestResource => strip({ ...r, status: guestState(r.status) }));

export const storageRow = z
  .object({
    id: optStr,
    storage: z.string().min(1),
    node: z.string().min(1),
    status: optStr,
    disk: optNum,
    maxdisk: optNum,
    shared: flag,
    content: z
      .string()
      .nullish()
      .transform((v) => (v ? v.split(',').filter((c) => c !== '') : [])),
    plugintype: optStr,
  })
  .transform((r): StorageResource => strip({ type: 'storage' as const, ...r }));

export const nodeSummaryRow = z
  .object({ node: z.string().min(1), status: optStr, level: optStr, ...figures })
  .transform((r): NodeSummary => strip({ ...r, status: nodeState(r.status) }));

const usage = z
  .object({ total: optNum, used: optNum, free: optNum, avail: optNum })
  .partial()
  .transform((u) => strip(u));

export const nodeStatusSchema = z
  .object({
    uptime: optNum,
    cpu: optNum,
    wait: optNum,
    loadavg: z.array(numberLike).nullish(),
    memory: usage.nullish(),
    swap: usage.nullish(),
    rootfs: usage.nullish(),
    cpuinfo: z
      .object({ cpus: optNum, cores: optNum, sockets: optNum, model: optStr })
      .nullish()
      .transform((c) => (c ? strip(c) : undefined)),
    pveversion: optStr,
    kversion: optStr,
  })
  .transform((s): NodeStatus => strip({ ...s, loadavg: s.loadavg ?? undefined, memory: s.memory ?? undefined, swap: s.swap ?? undefined, rootfs: s.rootfs ?? undefined }));

export const guestStatusSchema = z
  .object({
    vmid: numberLike.pipe(z.number().int()),
    name: optStr,
    status: optStr,
    qmpstatus: optStr,
    lock: optStr,
    uptime: optNum,
    cpu: optNum,
    cpus: optNum,
    mem: optNum,
    maxmem: optNum,
    disk: optNum,
    maxdisk: optNum,
    template: flag,
    ha: z.object({ managed: flag }).partial().nullish(),
    tags: tagList,
  })
  .transform((s): GuestStatus => {
    const { ha, ...rest } = s;
    const status = s.qmpstatus === 'paused' || s.qmpstatus === 'suspended' ? 'paused' : guestState(s.status);
    return strip({ ...rest, status, haManaged: ha?.managed === true });
  });

export const taskStatusSchema = z
  .object({
    upid: z.string().min(1),
    node: optStr,
    status: z.enum(['running', 'stopped']),
    exitstatus: optStr,
    type: optStr,
    id: optStr,
    user: optStr,
    starttime: optNum,
    pid: optNum,
  })
  .transform((t): TaskStatus => strip(t));

export const versionSchema = z
  .object({ version: z.string().min(1), release: optStr, repoid: optStr })
  .transform((v): ProxmoxVersion => strip(v));

export const upidSchema = z.string().regex(UPID_RE);

export const permissionsSchema = z.record(z.string(), z.record(z.string(), z.union([z.boolean(), numberLike])));

export const rowsSchema = z.array(z.record(z.string(), z.unknown()));

/** Drops keys whose value is undefined, so results compare cleanly and print without noise. */
function strip<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o;
}

/** The JSON in an answer's body (undefined when there is none or it is not JSON); gzip is undone. */
export function answerJson(a: Answer): unknown {
  let raw = a.body;
  if (a.encoding && a.encoding !== 'identity') {
    if (a.encoding !== 'gzip') throw badResponse(`content-encoding ${a.encoding}`, 1);
    try {
      raw = gunzipSync(raw);
    } catch {
      throw badResponse('gzip body', 1);
    }
  }
  return parseJsonOrUndefined(raw.toString('utf8'));
}

/** Every 2xx answer is `{ data }`; `data` may be null (a node action). */
export function answerData(json: unknown, status: number): unknown {
  if (json === null || typeof json !== 'object' || Array.isArray(json) || !('data' in json)) {
    throw badResponse(`HTTP ${status} body without {data}`, 1);
  }
  return (json as { data: unknown }).data;
}

/** Checks `data` against a schema; `what` names the call in the logged cause. */
export function parseAnswer<S extends z.ZodType>(schema: S, data: unknown, what: string): z.output<S> {
  const r = schema.safeParse(data);
  if (!r.success) throw badResponse(what, r.error.issues.length);
  return r.data;
}
