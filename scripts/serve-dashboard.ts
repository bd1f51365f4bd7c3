import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * `npm run dashboard [-- --out DIR --port N --host H]`: a tiny read-only static server for the dashboard.
 *
 * It lays the files out as the results bucket does on AWS, so the dashboard's default data root (`../`) works the
 * same locally and on S3/CloudFront:
 *
 *   /                → redirect to /dashboard/
 *   /dashboard/…     → dashboard/ (HTML, CSS, JS)
 *   /latest.json     → <out>/latest.json
 *   /runs/<id>/…     → <out>/runs/<id>/… — only .json and .md documents; the customer-level Parquet
 *                      (customer_segments/, quarantine/) is never served.
 *
 * GET and HEAD only; anything resolving outside its root (`..`, encoded slashes, symlinks) is refused.
 */
export const DASHBOARD_DIR = fileURLToPath(new URL('../dashboard/', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};
/** Extensions served from the output folder: the published documents, not the customer-level tables. */
const DATA_EXTENSIONS = new Set(['.json', '.md']);

export interface DashboardServer {
  url: string;
  port: number;
  close: () => Promise<void>;
}

export interface DashboardServerOptions {
  outDir: string;
  port?: number;
  host?: string;
  dashboardDir?: string;
}

/** Resolves a URL path under root, or null when it escapes root or is malformed. */
async function resolveUnder(root: string, relative: string): Promise<string | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(relative);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return null;
  const candidate = path.resolve(root, ...segments.filter((s) => s.length > 0));
  const rootReal = await realpath(root);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return null;
  }
  if (real !== rootReal && !real.startsWith(rootReal + path.sep)) return null;
  return real;
}

function send(res: http.ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff', ...headers });
  res.end(body);
}

export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const outDir = path.resolve(options.outDir);
  const dashboardDir = path.resolve(options.dashboardDir ?? DASHBOARD_DIR);
  const host = options.host ?? '127.0.0.1';

  const server = http.createServer((req, res) => {
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n', { allow: 'GET, HEAD' });
      let pathname: string;
      try {
        pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
      } catch {
        return send(res, 400, 'bad request\n');
      }
      if (pathname === '/' || pathname === '/dashboard') return send(res, 302, 'see /dashboard/\n', { location: '/dashboard/' });

      let file: string | null;
      if (pathname.startsWith('/dashboard/')) {
        let rel = pathname.slice('/dashboard/'.length);
        if (rel === '' || rel.endsWith('/')) rel += 'index.html';
        file = await resolveUnder(dashboardDir, rel);
      } else {
        const rel = pathname.slice(1);
        file = DATA_EXTENSIONS.has(path.extname(rel).toLowerCase()) ? await resolveUnder(outDir, rel) : null;
      }
      if (!file) return send(res, 404, 'not found\n');
      const info = await stat(file).catch(() => null);
      if (!info?.isFile()) return send(res, 404, 'not found\n');
      const headers = {
        'content-type': CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
        'content-length': String(info.size),
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
      };
      res.writeHead(200, headers);
      if (req.method === 'HEAD') return res.end();
      createReadStream(file).on('error', () => res.destroy()).pipe(res);
    })().catch(() => {
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/dashboard/`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: '.data/out' },
      port: { type: 'string', default: '4173' },
      host: { type: 'string', default: '127.0.0.1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write('usage: npm run dashboard [-- --out DIR] [--port N (default 4173, 0 = any free port)] [--host 127.0.0.1]\n');
    return;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port must be a whole number 0–65535; got ${values.port}\n`);
    process.exit(2);
  }
  const outDir = path.resolve(values.out);
  const latest = await stat(path.join(outDir, 'latest.json')).catch(() => null);
  if (!latest) process.stderr.write(`warning: ${path.join(outDir, 'latest.json')} does not exist yet; run \`npm start\` first\n`);
  const server = await startDashboardServer({ outDir, port, host: values.host });
  process.stdout.write(`Dashboard: ${server.url}\n  serving ${DASHBOARD_DIR} and the documents in ${outDir} (read-only); Ctrl+C stops\n`);
  const stop = () => void server.close().finally(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${(error as Error).message}\n`);
    process.exit(1);
  });
}
