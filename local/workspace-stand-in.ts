/**
 * The stand-in workspace: what the local stack's `process` driver runs for a runtime that has no
 * `localCommand`. It shows what a real workspace would receive, then serves a health answer until it
 * is stopped.
 *
 * - prints the NAMES of its environment variables (never their values, except the non-secret
 *   `WORKSPACE_*` ones), leaving out names that look like they carry secrets;
 * - listens on `PORT` (default 8000) on loopback, so under the `process` driver no other machine
 *   reaches it; with `--listen-all-interfaces` (the stand-in image's CMD) on every interface instead,
 *   since a container's published port reaches it through the container's own interface. A flag, not
 *   an environment variable, so a provision request's `env` cannot open it up; and answers every
 *   request with 200 and how it booted: `{"workspaceId", "kind", "env": [names], "configs":
 *   [{"path", "sha256"}]}`: its environment variable NAMES only (sorted, never a value), and every
 *   file under `WORKSPACE_CONFIG_PATH` (recursively, sorted by path) with its SHA-256;
 * - exits 1 at start when `WORKSPACE_CONFIG_PATH` is set and holds no `config.yaml`, as molecule's
 *   runtime crashes without `/configs/config.yaml`;
 * - prints `workspace-stand-in: ready on <url>` once listening (the driver's RUNNING signal);
 * - exits 0 on SIGTERM or SIGINT, and with `--exit-with-parent` also when its stdin closes (the
 *   local stack that spawned it is gone);
 * - on `POST /exit` with the body `{"code": N}` (a whole number from 0 to 255) answers 202 and then
 *   exits with that code, so a crash (or an out-of-memory kill's 137) can be tried on the local
 *   stack without a real workspace; any other body is a 400 with `{"message": ...}`.
 *
 * Run by hand: `PORT=8080 WORKSPACE_ID=ws-1 npx tsx local/workspace-stand-in.ts`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { safeText } from '#local/wire/safe-text.ts';

const SECRET_LOOKING = /SECRET|TOKEN|PASSWORD|PASSWD|CREDENTIAL|PRIVATE|(^|_)KEY($|_)/i;

const environment = process.env;
const workspaceId = environment.WORKSPACE_ID ?? 'unknown';
const kind = environment.WORKSPACE_KIND ?? 'unknown';
const configPath = environment.WORKSPACE_CONFIG_PATH;

if (configPath !== undefined && !existsSync(join(configPath, 'config.yaml'))) {
  console.error(
    `workspace-stand-in: ${join(configPath, 'config.yaml')} is missing; WORKSPACE_CONFIG_PATH must hold the workspace's config.yaml before it starts (the boot step writes it)`,
  );
  process.exit(1);
}

/** Every file under `directory`, recursively, as `/`-separated relative paths with their SHA-256, sorted by path. */
function configsUnder(directory: string | undefined): Array<{ path: string; sha256: string }> {
  if (directory === undefined) return [];
  const files: Array<{ path: string; sha256: string }> = [];
  const walk = (relative: string): void => {
    for (const entry of readdirSync(join(directory, relative), { withFileTypes: true })) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        files.push({
          path,
          sha256: createHash('sha256')
            .update(readFileSync(join(directory, path)))
            .digest('hex'),
        });
      }
    }
  };
  walk('');
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
const port = Number(environment.PORT ?? 8000);
const listenHost = process.argv.includes('--listen-all-interfaces') ? '0.0.0.0' : '127.0.0.1';

const names = Object.keys(environment).sort();
const shown = names.filter((name) => !SECRET_LOOKING.test(name));
const hidden = names.length - shown.length;
console.log(
  `workspace-stand-in: environment names: ${shown.join(', ')}${hidden > 0 ? ` (+${hidden} secret-looking names not shown)` : ''}`,
);
for (const name of names.filter((candidate) => candidate.startsWith('WORKSPACE_'))) {
  // A value comes from the provision request: one line, however it is written.
  console.log(`workspace-stand-in: ${name}=${safeText(environment[name] ?? '')}`);
}

/** Largest `POST /exit` body read; the one it expects is a few bytes. */
const MAX_EXIT_BODY_BYTES = 1024;

function answer(response: ServerResponse, status: number, value: unknown, then?: () => void): void {
  const body = JSON.stringify(value);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body, then);
}

/** The exit code a `POST /exit` body asks for, or why the body is not one. */
function exitCodeOf(text: string): { code: number } | { error: string } {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { error: 'the body must be JSON: {"code": N}' };
  }
  const code = typeof body === 'object' && body !== null ? (body as { code?: unknown }).code : undefined;
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 0 || code > 255) {
    return { error: '"code" must be a whole number from 0 to 255' };
  }
  return { code };
}

/** `POST /exit`: reads the body, answers, and only then exits, so the caller hears the 202. */
function handleExit(request: IncomingMessage, response: ServerResponse): void {
  const chunks: Buffer[] = [];
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_EXIT_BODY_BYTES) chunks.push(chunk);
  });
  request.on('end', () => {
    const asked =
      size > MAX_EXIT_BODY_BYTES
        ? { error: 'the body is too large' }
        : exitCodeOf(Buffer.concat(chunks).toString('utf8'));
    if ('error' in asked) {
      answer(response, 400, { message: asked.error });
      return;
    }
    console.log(`workspace-stand-in: exiting with code ${asked.code} (POST /exit)`);
    answer(response, 202, { exiting: asked.code }, () => process.exit(asked.code));
  });
}

const server = createServer((request, response) => {
  if (request.method === 'POST' && request.url === '/exit') {
    handleExit(request, response);
    return;
  }
  answer(response, 200, { workspaceId, kind, env: names, configs: configsUnder(configPath) });
});

let stopping = false;
function stop(why: string): void {
  if (stopping) return;
  stopping = true;
  console.log(`workspace-stand-in: stopping (${why})`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
  // Exit even if a connection lingers.
  setTimeout(() => process.exit(0), 1000).unref();
}

process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
if (process.argv.includes('--exit-with-parent')) {
  process.stdin.on('end', () => stop('parent gone'));
  process.stdin.on('error', () => stop('parent gone'));
  process.stdin.resume();
}

server.listen(port, listenHost, () => {
  console.log(
    `workspace-stand-in: ready on http://${listenHost}:${port} (workspace ${safeText(workspaceId)})`,
  );
});
