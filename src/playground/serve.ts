// A static file server for 127.0.0.1 with the headers that make a page cross-origin isolated
// (COOP same-origin + COEP require-corp), which browsers require for SharedArrayBuffer and so for
// the threads backend. Node only: used by `spindiff playground` and the browser tests.
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.wasm': 'application/wasm',
  '.map': 'application/json', '.txt': 'text/plain; charset=utf-8', '.png': 'image/png',
};

export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
} as const;

export interface StaticServer { url: string; server: Server; close(): Promise<void> }

/** Serve the files under `roots` (the first that has the path wins) on 127.0.0.1:port (0: any free port). */
export async function serveStatic(roots: string[], opts: { port?: number; host?: string } = {}): Promise<StaticServer> {
  const bases = roots.map((r) => resolve(r));
  const server = createServer((req, res) => {
    void (async () => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const rel = normalize(path.endsWith('/') ? path + 'index.html' : path).replace(/^([/\\])+/, '');
      for (const base of bases) {
        const file = join(base, rel);
        if (file !== base && !file.startsWith(base + sep)) continue; // no escaping the root
        try {
          if (!(await stat(file)).isFile()) continue;
          const body = await readFile(file);
          res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-store', ...ISOLATION_HEADERS });
          res.end(body);
          return;
        } catch {
          // not under this root
        }
      }
      res.writeHead(404, { 'Content-Type': 'text/plain', ...ISOLATION_HEADERS });
      res.end('not found');
    })();
  });
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((ok, fail) => { server.once('error', fail); server.listen(opts.port ?? 0, host, ok); });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://${host}:${port}/`,
    server,
    close: () => new Promise<void>((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}
