/**
 * Serves msw request handlers over real HTTP on 127.0.0.1, so a child process (the built daemon in
 * e2e tests) talks to the very fakes in-process tests use through `setupServer`. msw only intercepts
 * inside its own process; this turns each incoming request into a fetch `Request` and answers with
 * msw's `getResponse(handlers, request)`, or a JSON 404 when no handler matches.
 *
 * Handlers match on absolute URLs, so build them for the served address, e.g.:
 *   const server = await serveHandlers([]);            // learn the port first…
 *   server.use(...market.handlers({ jupiterUrl: `${server.url}/jup`, bagsUrl: `${server.url}/bags/api/v1` }));
 * or pass a factory: `serveHandlers((url) => market.handlers({ jupiterUrl: `${url}/jup`, bagsUrl: `${url}/bags/api/v1` }))`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getResponse, type HttpHandler } from 'msw';

export interface ServedHandlers {
  /** e.g. http://127.0.0.1:40123 (no trailing slash). */
  url: string;
  /** Adds handlers in front of the current ones (like msw's server.use). */
  use(...handlers: HttpHandler[]): void;
  close(): Promise<void>;
}

export async function serveHandlers(handlers: HttpHandler[] | ((url: string) => HttpHandler[])): Promise<ServedHandlers> {
  let current: HttpHandler[] = Array.isArray(handlers) ? [...handlers] : [];
  let origin = '';
  const server = createServer((req, res) => {
    answer(req, res, origin, current).catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: `fake server failed: ${err instanceof Error ? err.message : String(err)}` }));
      } else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (!Array.isArray(handlers)) current = handlers(origin);
  return {
    url: origin,
    use: (...more) => {
      current = [...more, ...current];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function answer(req: IncomingMessage, res: ServerResponse, origin: string, handlers: HttpHandler[]): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const method = req.method ?? 'GET';
  const hasBody = method !== 'GET' && method !== 'HEAD' && chunks.length > 0;
  const request = new Request(`${origin}${req.url ?? '/'}`, { method, headers, ...(hasBody ? { body: Buffer.concat(chunks) } : {}) });

  const response = await getResponse(handlers, request);
  if (!response) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: `no fake handler for ${method} ${new URL(request.url).pathname}` }));
    return;
  }
  const body = Buffer.from(await response.arrayBuffer());
  const out: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    // The body is re-sent whole, so length and encoding are ours to set.
    if (name !== 'content-length' && name !== 'transfer-encoding' && name !== 'content-encoding') out[name] = value;
  });
  out['content-length'] = String(body.length);
  res.writeHead(response.status, response.statusText || undefined, out);
  res.end(body);
}
