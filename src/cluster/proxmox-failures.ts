/**
 * Turns what Proxmox or the network did into a ClusterError with one sentence for a person:
 * HTTP refusals, TLS failures, hosts that did not answer, and tasks whose exit text says they
 * failed. Lock and not-found errors are recognised from Proxmox's text, since most arrive as a
 * plain 500 or only in a task's exit status.
 *
 * No text built here carries the base URL, the token or a header (see errors.ts); Proxmox's own
 * text only gets in after scrubDetail.
 */
import { STATUS_CODES } from 'node:http';
import { ClusterError } from './errors.js';
import type { CallTarget, GuestKind, TaskOutcome } from './proxmox-types.js';
import type { Answer, Attempt, TlsReason } from './proxmox-transport.js';
import { isValidVmid, parseUpid } from './proxmox-validation.js';

const BUSY_RES = [/\b(?:VM|CT) is locked\b/i, /can't lock file/i, /\bcfs-lock\b.*\berror\b/i, /\bgot (?:lock request )?timeout\b/i];
const NOT_FOUND_RES = [
  /does not exist/i,
  /unable to find configuration file/i,
  /\bno such (?:vm|ct|machine|container|node|cluster node|task)\b/i,
  /hostname lookup '[^']*' failed/i,
  /unable to get remote IP address for node/i,
];
const NODE_MISSING_RES = [/hostname lookup '[^']*' failed/i, /no such (?:cluster )?node/i, /unable to get remote IP address for node/i];

/** Reads a task's exit status. */
export function classifyTaskExit(exitstatus: string): TaskOutcome {
  if (exitstatus === 'OK') return 'ok';
  if (/^WARNINGS: \d+$/.test(exitstatus)) return 'warnings';
  if (BUSY_RES.some((re) => re.test(exitstatus))) return 'busy';
  if (NOT_FOUND_RES.some((re) => re.test(exitstatus))) return 'not_found';
  return 'failed';
}

/** Errors that mean no connection was made, so nothing was sent. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** A 2xx answer that is not what Proxmox sends; `what` and the issue count go to the cause, for logs. */
export function badResponse(what: string, issues: number): ClusterError {
  return new ClusterError('bad_response', 'Proxmox sent an answer Jarvis could not read; try again later.', {
    cause: new Error(`${what}: unexpected shape (${issues} issue${issues === 1 ? '' : 's'})`),
  });
}

/** Proxmox itself never redirects: a 3xx means PROXMOX_URL points somewhere else. */
export function redirectError(status: number): ClusterError {
  return new ClusterError('bad_response', `Proxmox answered with a redirect (HTTP ${status}); check PROXMOX_URL.`, { status });
}

/**
 * Proxmox's reason for a 4xx/5xx, unscrubbed: the JSON `message` (PVE 7+) or the status line, with
 * per-parameter errors appended.
 */
export function proxmoxReason(a: Answer, json: unknown): string {
  const body = json !== null && typeof json === 'object' ? (json as { message?: unknown; errors?: unknown }) : {};
  // Proxmox puts its reason in the status line; a stock phrase ("Bad Request") says nothing more.
  const reason = a.reason === STATUS_CODES[a.status] ? '' : a.reason;
  const message = typeof body.message === 'string' && body.message.trim() !== '' ? body.message : reason;
  const paramErrors =
    body.errors && typeof body.errors === 'object'
      ? Object.entries(body.errors as Record<string, unknown>)
          .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
          .join('; ')
      : '';
  return paramErrors ? `${clause(message)}: ${paramErrors}` : message;
}

/** A 4xx or 5xx answer (other than the 502/503/504 the client retries), with its scrubbed detail. */
export function refusalError(status: number, detail: string, target: CallTarget): ClusterError {
  const cause = new Error(`HTTP ${status}: ${detail}`);
  const opts = { status, detail, cause };

  if (status === 401) {
    return new ClusterError('auth', 'Proxmox refused the API token (401): check PROXMOX_TOKEN_ID and PROXMOX_TOKEN_SECRET.', opts);
  }
  if (status === 403) return new ClusterError('forbidden', forbiddenMessage(detail, target), opts);
  if (status === 595 || status === 596) {
    const who = target.node ? `node ${target.node}` : 'a cluster node';
    return new ClusterError('unreachable', `Proxmox could not reach ${who} (it may be offline): ${clause(detail) || 'no answer'}.`, opts);
  }
  if (BUSY_RES.some((re) => re.test(detail))) return new ClusterError('busy', busyMessage(detail, target), opts);
  if (status === 404 || NOT_FOUND_RES.some((re) => re.test(detail))) {
    return new ClusterError('not_found', notFoundMessage(detail, target), opts);
  }
  if (status === 501) {
    return new ClusterError('rejected', `This Proxmox does not offer that request (HTTP 501): ${clause(detail) || 'not implemented'}.`, opts);
  }
  return new ClusterError('rejected', `Proxmox refused that (HTTP ${status})${detail ? `: ${clause(detail)}` : ''}.`, opts);
}

/** The request was never sent, so the message says the token stayed here. */
export function tlsError(a: Extract<Attempt, { kind: 'tls' }>, caGiven: boolean): ClusterError {
  const cause = new Error(`TLS: ${a.reason}${a.code ? ` (${a.code})` : ''}; request not sent`);
  const notSent = 'Jarvis did not send the token.';
  const msg: Record<TlsReason, string> = {
    fingerprint: `The Proxmox certificate does not match PROXMOX_FINGERPRINT; ${notSent}`,
    untrusted: caGiven
      ? `The Proxmox certificate is not signed by the CA in PROXMOX_CA_FILE; ${notSent}`
      : `The Proxmox certificate is not trusted (self-signed?): set PROXMOX_FINGERPRINT or PROXMOX_CA_FILE; ${notSent}`,
    hostname: `The Proxmox certificate is not for the host name in PROXMOX_URL; ${notSent}`,
    expired: `The Proxmox certificate has expired or is not valid yet; ${notSent}`,
    not_tls: `The Proxmox host did not speak TLS; check that PROXMOX_URL has the right scheme and port. ${notSent}`,
    other: `The TLS handshake with the Proxmox host failed; ${notSent}`,
  };
  return new ClusterError('tls', msg[a.reason], { cause });
}

/** No usable answer after `tries` attempts. A POST may still have acted, and the message says so. */
export function unreachableError(last: Attempt, tries: number, method: 'GET' | 'POST', timeoutMs: number): ClusterError {
  const times = tries > 1 ? `, tried ${tries} times` : '';
  const maybeDone = method === 'POST' ? ' The action may still have started: check its status before trying again.' : '';
  let userMessage: string;
  let what: string;
  let status: number | undefined;
  if (last.kind === 'timeout') {
    what = 'timed out';
    userMessage = `The Proxmox host did not answer (timeout after ${seconds(timeoutMs)}${times}).${maybeDone}`;
  } else if (last.kind === 'answer') {
    status = last.status;
    what = `HTTP ${last.status}`;
    userMessage = `The Proxmox host is not available right now (HTTP ${last.status}${times}); try again in a minute.${maybeDone}`;
  } else {
    const code = last.kind === 'network' ? last.code : undefined;
    what = code ? `network error ${code}` : 'network error';
    const sent = code !== undefined && NOT_CONNECTED.has(code) ? '' : maybeDone;
    userMessage = `The Proxmox host could not be reached (${describeCode(code)}${times}).${sent}`;
  }
  return new ClusterError('unreachable', userMessage, {
    ...(status !== undefined ? { status } : {}),
    ...(userMessage.endsWith(maybeDone) && maybeDone ? { mayHaveActed: true } : {}),
    cause: new Error(`${what} (${tries} attempt${tries === 1 ? '' : 's'})`),
  });
}

/** A failed task's scrubbed exit text, as the error a person should read. */
export function taskFailure(detail: string, outcome: TaskOutcome, target: CallTarget): ClusterError {
  if (outcome === 'busy') return new ClusterError('busy', busyMessage(detail, target), { detail });
  if (outcome === 'not_found') return new ClusterError('not_found', notFoundMessage(detail, target), { detail });
  const why = clause(detail) || 'no reason given';
  const who = label(target);
  return new ClusterError('rejected', who ? `${capitalise(who)}: the task failed (${why}).` : `The Proxmox task failed (${why}).`, { detail });
}

/** One line of Proxmox's text, safe to show and log: no URL, no token, no control characters. */
export function scrubDetail(text: string, secret: string): string {
  let t = (text.split(/\r?\n/).find((l) => l.trim() !== '') ?? '').replace(/[\u0000-\u001f\u007f]/g, ' ');
  t = t.split(secret).join('[redacted]');
  t = t.replace(/PVEAPIToken\S*/gi, '[redacted]').replace(/\bhttps?:\/\/\S+/gi, '[url]');
  t = t.replace(/\s+/g, ' ').trim();
  return t.length > 200 ? `${t.slice(0, 199)}…` : t;
}

/** A task's UPID names its node, type and id: enough to say "VM 101" in a task's error. */
export function targetOfUpid(upid: string, node: string): CallTarget {
  const u = parseUpid(upid);
  const id = u ? Number(u.id) : NaN;
  if (u && isValidVmid(id)) {
    const kind: GuestKind | undefined = /^(qm|qemu)/.test(u.type) ? 'qemu' : /^(vz|lxc|pct)/.test(u.type) ? 'lxc' : undefined;
    if (kind) return { what: 'guest', node: u.node, kind, vmid: id };
  }
  return { what: 'task', node };
}

function describeCode(code: string | undefined): string {
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'no route to host';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset';
    case undefined:
      return 'network error';
    default:
      return `network error ${code}`;
  }
}

/** Text that goes before a full stop we add: no trailing dots or spaces of its own. */
function clause(text: string): string {
  return text.trim().replace(/[.\s]+$/, '');
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))} s`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function label(t: CallTarget): string | undefined {
  if (t.what === 'guest' && t.vmid !== undefined) return `${t.kind === 'lxc' ? 'container' : 'VM'} ${t.vmid}`;
  if (t.what === 'node' && t.node) return `node ${t.node}`;
  return undefined;
}

function busyMessage(detail: string, target: CallTarget): string {
  const who = capitalise(label(target) ?? 'That guest');
  const lock = /is locked \(([^)]+)\)/i.exec(detail)?.[1];
  if (lock) return `${who} is locked (${lock}); try again when that ${lock} has finished.`;
  return `${who} is busy with another task; try again in a minute.`;
}

function notFoundMessage(detail: string, target: CallTarget): string {
  if (target.node && NODE_MISSING_RES.some((re) => re.test(detail))) return `Node ${target.node} is not part of the cluster.`;
  if (target.what === 'guest' && target.vmid !== undefined) {
    return `${capitalise(label(target)!)} was not found${target.node ? ` on node ${target.node}` : ''}.`;
  }
  if (target.what === 'node' && target.node) return `Node ${target.node} was not found.`;
  if (target.what === 'task') return `Proxmox has no record of that task${target.node ? ` on node ${target.node}` : ''}.`;
  return 'Proxmox has no such item.';
}

function forbiddenMessage(detail: string, target: CallTarget): string {
  const m = /Permission check failed \(([^,)]+),\s*([^)]+)\)/i.exec(detail);
  if (m) return `The API token lacks permission for that (403): it needs ${m[2]!.trim()} on ${m[1]!.trim()}.`;
  if (target.what === 'node') return 'The API token lacks permission for that (403): it needs Sys.Audit to read a node and Sys.PowerMgmt to reboot or shut it down.';
  return 'The API token lacks permission for that (403): it needs VM.Audit to read and VM.PowerMgmt to start and stop.';
}
