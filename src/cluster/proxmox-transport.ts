/**
 * One HTTP request to a Proxmox host on its own connection, and what became of it.
 *
 * Why node:http/node:tls and not fetch: a Proxmox host usually has a self-signed certificate, and
 * the safe answers to that (a CA file, or a pinned SHA-256 fingerprint of the host's own certificate)
 * need TLS options fetch does not take. This opens the TLS connection itself, checks the
 * certificate, and only then writes the request that carries the token, so the token never reaches
 * a host that failed verification. No keep-alive, no shared agent.
 *
 * Nothing here throws for what the host or the network did: every outcome is an `Attempt`, so the
 * client decides what to retry and how to phrase it (proxmox-failures.ts).
 */
import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { normaliseFingerprint } from './proxmox-validation.js';

/** Why a TLS connection was refused before anything was sent. */
export type TlsReason = 'fingerprint' | 'untrusted' | 'hostname' | 'expired' | 'not_tls' | 'other';

/** What became of one request: an answer with any status, or why there was none. */
export type Attempt =
  | { kind: 'answer'; status: number; reason: string; body: Buffer; encoding?: string }
  | { kind: 'timeout' }
  | { kind: 'network'; code?: string }
  | { kind: 'tls'; reason: TlsReason; code?: string }
  | { kind: 'too_large' };

/** An answer with any status; its body is still raw (maybe gzip, maybe not JSON). */
export type Answer = Extract<Attempt, { kind: 'answer' }>;

/** Where one client connects; the same for each of its requests. */
export interface ProxmoxEndpoint {
  tls: boolean;
  /** Host to connect to (IPv6 without brackets). */
  host: string;
  port: number;
  /** Value of the Host header. */
  hostHeader: string;
  /** PEM of the CA that signed the host's certificate. */
  ca?: string | Buffer;
  /** The host certificate's SHA-256 fingerprint, normalised ('AB:CD:…'); replaces chain and name checks. */
  fingerprint?: string;
  /** Covers connect, TLS handshake, request and the whole body. */
  timeoutMs: number;
}

export interface ProxmoxRequest {
  method: 'GET' | 'POST';
  /** With the API prefix and the query string. */
  path: string;
  /** Form-encoded; POSTs only. */
  body: string | undefined;
  /** The whole Authorization header; written only to a socket whose certificate passed. */
  authorization: string;
}

const MAX_BODY_BYTES = 32 * 1024 * 1024;

const TLS_UNTRUSTED = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'CERT_CHAIN_TOO_LONG',
  'PATH_LENGTH_EXCEEDED',
  'UNABLE_TO_DECRYPT_CERT_SIGNATURE',
  'UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY',
]);
const TLS_EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERROR_IN_CERT_NOT_BEFORE_FIELD', 'ERROR_IN_CERT_NOT_AFTER_FIELD']);
const TLS_HOSTNAME = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);
const TLS_NOT_TLS = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST', 'ERR_SSL_UNKNOWN_PROTOCOL']);

/** One request on its own connection; the caller's abort rejects with its reason, never retried. */
export function requestOnce(endpoint: ProxmoxEndpoint, request: ProxmoxRequest, signal?: AbortSignal): Promise<Attempt> {
  const { method, path, body, authorization } = request;
  return new Promise<Attempt>((resolve, reject) => {
    let settled = false;
    let socket: Socket | undefined;
    let req: ClientRequest | undefined;
    const settle = (then: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      req?.destroy();
      socket?.destroy();
      then();
    };
    const finish = (a: Attempt): void => settle(() => resolve(a));
    const onAbort = (): void => settle(() => reject(signal?.reason));
    const timer = setTimeout(() => finish({ kind: 'timeout' }), endpoint.timeoutMs);
    if (signal?.aborted) {
      onAbort();
      return;
    }
    signal?.addEventListener('abort', onAbort, { once: true });

    const headers: Record<string, string> = {
      host: endpoint.hostHeader,
      authorization,
      accept: 'application/json',
      'accept-encoding': 'identity',
      'user-agent': 'jarvis',
      connection: 'close',
    };
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(body));
    }

    // Only ever called with a socket whose certificate passed: this is where the token leaves.
    const send = (s: Socket): void => {
      if (settled) return;
      req = httpRequest({ method, path, headers, setHost: false, createConnection: () => s });
      req.on('error', (err) => finish(socketFailure(err)));
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_BODY_BYTES) finish({ kind: 'too_large' });
          else chunks.push(chunk);
        });
        res.on('error', (err) => finish(socketFailure(err)));
        res.on('aborted', () => finish({ kind: 'network', code: 'ECONNRESET' }));
        res.on('end', () => {
          const encoding = res.headers['content-encoding'];
          finish({
            kind: 'answer',
            status: res.statusCode ?? 0,
            reason: res.statusMessage ?? '',
            body: Buffer.concat(chunks),
            ...(typeof encoding === 'string' ? { encoding } : {}),
          });
        });
      });
      req.end(body);
    };

    if (!endpoint.tls) {
      const s = netConnect({ host: endpoint.host, port: endpoint.port });
      socket = s;
      s.on('error', (err) => finish(socketFailure(err)));
      send(s);
      return;
    }

    const s = tlsConnect({
      host: endpoint.host,
      port: endpoint.port,
      ...(isIP(endpoint.host) ? {} : { servername: endpoint.host }),
      ...(endpoint.ca !== undefined ? { ca: endpoint.ca } : {}),
      // A pinned fingerprint replaces chain and name checks (unless a CA is given too): the
      // certificate must be exactly the pinned one, checked below before anything is written.
      rejectUnauthorized: endpoint.fingerprint === undefined || endpoint.ca !== undefined,
      ALPNProtocols: ['http/1.1'],
    });
    socket = s;
    // Stays attached for the socket's life: errors after the handshake reach the request too,
    // but one must never go unheard in the tick before http attaches its own listener.
    s.on('error', (err) => finish(socketFailure(err)));
    s.once('secureConnect', () => {
      if (settled) return;
      if (endpoint.fingerprint !== undefined) {
        const seen = s.getPeerCertificate()?.fingerprint256;
        if (!seen || normaliseFingerprint(seen) !== endpoint.fingerprint) {
          finish({ kind: 'tls', reason: 'fingerprint' });
          return;
        }
      }
      send(s);
    });
  });
}

/** Sorts a socket or request error: a certificate problem (never retried) or a network error. */
function socketFailure(err: unknown): Attempt {
  const code = errorCode(err);
  if (code !== undefined) {
    if (TLS_UNTRUSTED.has(code)) return { kind: 'tls', reason: 'untrusted', code };
    if (TLS_EXPIRED.has(code)) return { kind: 'tls', reason: 'expired', code };
    if (TLS_HOSTNAME.has(code)) return { kind: 'tls', reason: 'hostname', code };
    if (TLS_NOT_TLS.has(code)) return { kind: 'tls', reason: 'not_tls', code };
    if (/^ERR_(SSL|TLS)_/.test(code) || /CERT/.test(code)) return { kind: 'tls', reason: 'other', code };
    return { kind: 'network', code };
  }
  return { kind: 'network' };
}

/** The first `code` on the error or its causes. */
function errorCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 4; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
