/**
 * `GET /console` and `GET /console/assets/<file>`: the console's page, scripts and styles, committed
 * as source under `local/console/assets/` and read once when the route is built (no build step, no
 * CDN). Only the files that were there are served, by name, so no path can reach anything else.
 * Every answer carries a strict Content-Security-Policy: scripts, styles, images and requests from
 * the endpoint itself only, no inline script, no framing.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { WireAnswer, WireRequest, WireRoute } from '#local/wire/index.ts';

/** Where the console's files live. */
export const ASSETS_DIRECTORY = join(import.meta.dirname, 'assets');

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/**
 * The page's policy. `connect-src` also allows loopback on any port: a crash is the stand-in's own
 * `POST /exit` on the workspace's address (as the README's `curl` does), which is another port.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self' http://127.0.0.1:* http://localhost:*",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers every console file is sent with. */
const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  // Revalidated on every load (the files are source and change with the checkout); a 304 is cheap.
  'cache-control': 'no-cache',
} as const;

interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
  readonly etag: string;
}

/** Reads every servable file of the assets directory (and one level of folders) into memory. */
function readAssets(directory: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const entry of readdirSync(directory, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const contentType = CONTENT_TYPES[extname(entry.name)];
    if (contentType === undefined) continue;
    const path = join(entry.parentPath, entry.name);
    const name = path
      .slice(directory.length + 1)
      .split('\\')
      .join('/');
    const body = readFileSync(path);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    assets.set(name, { body, contentType, etag });
  }
  return assets;
}

/** The console's static files as a route of the endpoint. */
export function staticAssetsRoute(directory = ASSETS_DIRECTORY): WireRoute {
  const assets = readAssets(directory);

  function fileOf(pathname: string): Asset | undefined {
    if (pathname === '/console' || pathname === '/console/') return assets.get('index.html');
    if (!pathname.startsWith('/console/assets/')) return undefined;
    return assets.get(pathname.slice('/console/assets/'.length));
  }

  return {
    matches: (request) =>
      (request.method === 'GET' || request.method === 'HEAD') &&
      (request.url.pathname === '/console' || request.url.pathname.startsWith('/console/')),
    answer(request: WireRequest): WireAnswer {
      const asset = fileOf(request.url.pathname);
      if (asset === undefined) {
        return {
          status: 404,
          headers: { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' },
          body: 'Not found',
        };
      }
      const headers = { ...SECURITY_HEADERS, 'content-type': asset.contentType, etag: asset.etag };
      if (request.headers['if-none-match'] === asset.etag) return { status: 304, headers, body: '' };
      if (request.method === 'HEAD') {
        return {
          status: 200,
          headers: { ...headers, 'content-length': String(asset.body.length) },
          body: '',
        };
      }
      return { status: 200, headers, body: asset.body };
    },
  };
}
