import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Services } from '../core/services.js';

export interface Readiness {
  ready: boolean;
  reasons: string[];
}

/** Ready means: the database takes a write, and every configured channel is connected. */
export function readiness(s: Services): Readiness {
  const reasons: string[] = [];
  try {
    s.db.prepare("INSERT INTO kv (key, value, updated_at) VALUES ('health.probe', 'ok', ?) ON CONFLICT(key) DO UPDATE SET updated_at = excluded.updated_at").run(s.clock.now());
  } catch (err) {
    reasons.push(`database not writable: ${(err as Error).message}`);
  }
  for (const c of s.channels()) {
    if (c.state !== 'connected') reasons.push(`${c.name} is ${c.state}${c.detail ? ` (${c.detail})` : ''}`);
  }
  return { ready: reasons.length === 0, reasons };
}

/** /healthz (alive), /readyz (able to serve), /metrics (Prometheus). Bound to loopback by default. */
export function createHttpServer(s: Services): Server {
  return createServer((req: IncomingMessage, res: ServerResponse) => {
    void route(s, req, res).catch((err) => {
      s.log.error({ err }, 'http handler failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"internal"}');
    });
  });
}

async function route(s: Services, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { 'content-type': 'application/json', allow: 'GET, HEAD' }).end('{"error":"method not allowed"}');
    return;
  }
  switch (path) {
    case '/healthz':
      json(res, 200, { status: 'ok', version: s.version, uptimeSec: Math.round((s.clock.now() - s.startedAt) / 1000) });
      return;
    case '/readyz': {
      const r = readiness(s);
      json(res, r.ready ? 200 : 503, { status: r.ready ? 'ready' : 'not ready', reasons: r.reasons, channels: s.channels() });
      return;
    }
    case '/metrics':
      res.writeHead(200, { 'content-type': s.metrics.registry.contentType }).end(await s.metrics.registry.metrics());
      return;
    default:
      json(res, 404, { error: 'not found', paths: ['/healthz', '/readyz', '/metrics'] });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export function listen(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
