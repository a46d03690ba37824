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
 *   [{"path", "sha256"}], "data": [{"path", "sha256"}]}`: its environment variable NAMES only (sorted,
 *   never a value), every file under `WORKSPACE_CONFIG_PATH` and every file of its data directory
 *   (each recursively, sorted by path) with its SHA-256 (`[]` when there is none);
 * - on `PUT /data/<path>` (v1.3) writes the request body as the file `<path>` of its data directory
 *   (creating directories) and answers 201 `{"path", "sha256"}`. The data directory is
 *   `WORKSPACE_DATA_PATH` (a persistent workspace's volume); without it, a temporary directory of the
 *   stand-in's own, removed when it exits, so an ephemeral workspace demonstrably keeps nothing
 *   across a restart while `PUT /data/...` works the same for both. A path with an empty, `.` or `..`
 *   segment, a backslash or a NUL, or one that does not decode, is a 400; a body over 10 MiB a 413; a
 *   path that is a directory (or under a file) a 409; each with `{"message": ...}`;
 * - exits 1 at start when `WORKSPACE_CONFIG_PATH` is set and holds no `config.yaml`, as molecule's
 *   runtime crashes without `/configs/config.yaml`;
 * - prints `workspace-stand-in: ready on <url> (workspace <id>; data in <dir>[, ephemeral])` once
 *   listening (the driver's RUNNING signal);
 * - exits 0 on SIGTERM or SIGINT, and with `--exit-with-parent` also when its stdin closes (the
 *   local stack that spawned it is gone);
 * - on `POST /exit` with the body `{"code": N}` (a whole number from 0 to 255) answers 202 and then
 *   exits with that code, so a crash (or an out-of-memory kill's 137) can be tried on the local
 *   stack without a real workspace; any other body is a 400 with `{"message": ...}`.
 *
 * Run by hand: `PORT=8080 WORKSPACE_ID=ws-1 npx tsx local/workspace-stand-in.ts`.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
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

/**
 * The data directory: the persistent volume's (`WORKSPACE_DATA_PATH`), or for an ephemeral workspace
 * a temporary one of its own that goes when the stand-in exits.
 */
const persistentDataPath = environment.WORKSPACE_DATA_PATH;
const dataPath = persistentDataPath ?? mkdtempSync(join(tmpdir(), 'workspace-stand-in-data-'));
if (persistentDataPath === undefined) {
  process.on('exit', () => rmSync(dataPath, { recursive: true, force: true }));
} else {
  mkdirSync(persistentDataPath, { recursive: true });
}

/** Every file under `directory`, recursively, as `/`-separated relative paths with their SHA-256, sorted by path. */
function filesUnder(directory: string | undefined): Array<{ path: string; sha256: string }> {
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
/** Largest `PUT /data/<path>` body: enough for a test file, small enough for memory. */
const MAX_DATA_BODY_BYTES = 10 * 1024 * 1024;
const DATA_ROUTE = '/data/';

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

/** The relative path a `PUT /data/<path>` names, `/`-separated, or why it names none. */
function dataFilePathOf(url: string): { path: string } | { error: string } {
  const raw = url.slice(DATA_ROUTE.length).split('?')[0] ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return { error: 'the path does not decode' };
  }
  if (decoded.includes('\\') || decoded.includes('\0')) return { error: 'the path has a backslash or a NUL' };
  const segments = decoded.split('/');
  if (segments.some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return { error: 'the path must be relative, without empty, "." or ".." segments' };
  }
  return { path: segments.join('/') };
}

/** `PUT /data/<path>`: writes the body into the data directory, answers with its path and SHA-256. */
function handleDataWrite(request: IncomingMessage, response: ServerResponse): void {
  const target = dataFilePathOf(request.url ?? '');
  const chunks: Buffer[] = [];
  let size = 0;
  request.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_DATA_BODY_BYTES) chunks.push(chunk);
  });
  request.on('end', () => {
    if ('error' in target) {
      answer(response, 400, { message: target.error });
      return;
    }
    if (size > MAX_DATA_BODY_BYTES) {
      answer(response, 413, { message: `the body is larger than ${MAX_DATA_BODY_BYTES} bytes` });
      return;
    }
    const file = resolve(dataPath, ...target.path.split('/'));
    // Checked above segment by segment; this keeps the write inside the data directory regardless.
    if (relative(dataPath, file).startsWith(`..${sep}`)) {
      answer(response, 400, { message: 'the path leaves the data directory' });
      return;
    }
    const content = Buffer.concat(chunks);
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, content);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const conflict = code === 'EISDIR' || code === 'ENOTDIR' || code === 'EEXIST';
      answer(response, conflict ? 409 : 500, {
        message: conflict ? 'the path is a directory, or lies under a file' : String(error),
      });
      return;
    }
    answer(response, 201, { path: target.path, sha256: createHash('sha256').update(content).digest('hex') });
  });
}

const server = createServer((request, response) => {
  if (request.method === 'POST' && request.url === '/exit') {
    handleExit(request, response);
    return;
  }
  if (request.method === 'PUT' && request.url?.startsWith(DATA_ROUTE)) {
    handleDataWrite(request, response);
    return;
  }
  answer(response, 200, {
    workspaceId,
    kind,
    env: names,
    configs: filesUnder(configPath),
    data: filesUnder(dataPath),
  });
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
  // One line: where its data goes rides on the ready line (WORKSPACE_DATA_PATH is echoed above already).
  const data =
    persistentDataPath === undefined
      ? `data in ${dataPath}, ephemeral`
      : `data in ${safeText(persistentDataPath)}`;
  console.log(
    `workspace-stand-in: ready on http://${listenHost}:${port} (workspace ${safeText(workspaceId)}; ${data})`,
  );
});
