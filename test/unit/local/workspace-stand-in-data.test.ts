/**
 * The stand-in workspace's data directory (v1.3): `PUT /data/<path>` writes the body as a file of it,
 * `GET /` lists its files with their SHA-256. With `WORKSPACE_DATA_PATH` (a persistent workspace's
 * volume) the files stay after the stand-in exits; without it the stand-in writes into a temporary
 * directory of its own that goes with it, so an ephemeral workspace keeps nothing.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { findFreePort } from '#local/ecs/drivers/local-ports.ts';
import { STAND_IN_READY_PREFIX, standInArgv } from '#local/ecs/index.ts';
import { temporaryStateDir } from './helpers.ts';

const sha256 = (content: string | Buffer): string => createHash('sha256').update(content).digest('hex');

interface StandIn {
  readonly port: number;
  /** The data directory the stand-in says it uses. */
  readonly dataDirectory: string;
  stop(): Promise<void>;
}

/** Starts the stand-in with `env` on a free port; resolves once it is ready. */
async function startStandIn(env: Record<string, string>): Promise<StandIn> {
  const [command, ...args] = standInArgv();
  const port = await findFreePort();
  const child = spawn(command as string, args, {
    env: { PATH: process.env.PATH ?? '', PORT: String(port), WORKSPACE_ID: 'ws-data', ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let dataDirectory = '';
  for await (const line of createInterface({ input: child.stdout })) {
    if (line.startsWith(STAND_IN_READY_PREFIX)) {
      dataDirectory = /; data in ([^,)]+)/.exec(line)?.[1] ?? '';
      break;
    }
  }
  child.stdout.resume();
  return {
    port,
    dataDirectory,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A raw HTTP request: the path goes out as written (fetch would resolve `..` and `%2e%2e` first). */
function send(
  port: number,
  method: string,
  path: string,
  body?: Buffer | string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port, method, path }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          json: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
        }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

describe('the stand-in workspace data directory', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function started(env: Record<string, string>): Promise<StandIn> {
    const standIn = await startStandIn(env);
    cleanups.unshift(() => standIn.stop());
    return standIn;
  }

  it('writes PUT /data/<path> under WORKSPACE_DATA_PATH, lists every data file in GET /, and leaves them when it exits', async () => {
    const state = temporaryStateDir();
    cleanups.push(state.remove);
    const volume = join(state.dir, 'volume');
    mkdirSync(join(volume, 'restored'), { recursive: true });
    writeFileSync(join(volume, 'restored', 'kept.txt'), 'from the snapshot\n');
    const standIn = await started({ WORKSPACE_DATA_PATH: volume });
    expect(standIn.dataDirectory).toBe(volume);

    const written = await send(standIn.port, 'PUT', '/data/notes/deep/a.md', '# a\n');
    expect(written).toEqual({ status: 201, json: { path: 'notes/deep/a.md', sha256: sha256('# a\n') } });
    expect(readFileSync(join(volume, 'notes', 'deep', 'a.md'), 'utf8')).toBe('# a\n');
    // A second write of the same path replaces the file.
    expect((await send(standIn.port, 'PUT', '/data/notes/deep/a.md', '# b\n')).status).toBe(201);

    const report = await send(standIn.port, 'GET', '/');
    expect(report.json.data).toEqual([
      { path: 'notes/deep/a.md', sha256: sha256('# b\n') },
      { path: 'restored/kept.txt', sha256: sha256('from the snapshot\n') },
    ]);
    await standIn.stop();
    expect(readFileSync(join(volume, 'notes', 'deep', 'a.md'), 'utf8')).toBe('# b\n');
  });

  it('without WORKSPACE_DATA_PATH writes into a directory of its own that goes when it exits: an ephemeral workspace keeps nothing', async () => {
    const first = await started({});
    expect(first.dataDirectory).not.toBe('');
    expect((await send(first.port, 'GET', '/')).json.data).toEqual([]);
    expect((await send(first.port, 'PUT', '/data/a.txt', 'scratch')).status).toBe(201);
    expect((await send(first.port, 'GET', '/')).json.data).toEqual([
      { path: 'a.txt', sha256: sha256('scratch') },
    ]);
    await first.stop();
    expect(existsSync(first.dataDirectory)).toBe(false);

    const second = await started({});
    expect(second.dataDirectory).not.toBe(first.dataDirectory);
    expect((await send(second.port, 'GET', '/')).json.data).toEqual([]);
  });

  it.each([
    { path: '/data/../escape.txt', why: 'a .. segment' },
    { path: '/data/a/../../escape.txt', why: 'a .. segment further in' },
    { path: '/data/%2e%2e/escape.txt', why: 'an encoded .. segment' },
    { path: '/data/%2Fetc%2Fpasswd', why: 'an absolute path' },
    { path: '/data/a//b.txt', why: 'an empty segment' },
    { path: '/data/./a.txt', why: 'a . segment' },
    { path: '/data/a%5Cb.txt', why: 'a backslash' },
    { path: '/data/a%00b.txt', why: 'a NUL' },
    { path: '/data/%E0%A4%A', why: 'a path that does not decode' },
    { path: '/data/', why: 'no path' },
  ])('refuses $why with 400 and writes nothing', async ({ path }) => {
    const state = temporaryStateDir();
    cleanups.push(state.remove);
    const volume = join(state.dir, 'volume');
    const standIn = await started({ WORKSPACE_DATA_PATH: volume });

    const refused = await send(standIn.port, 'PUT', path, 'nope');
    expect(refused.status).toBe(400);
    expect(refused.json.message).toEqual(expect.any(String));
    expect((await send(standIn.port, 'GET', '/')).json.data).toEqual([]);
    expect(existsSync(join(state.dir, 'escape.txt'))).toBe(false);
  });

  it('refuses a body over 10 MiB with 413, and a path that is a directory with 409, writing nothing', async () => {
    const state = temporaryStateDir();
    cleanups.push(state.remove);
    const standIn = await started({ WORKSPACE_DATA_PATH: join(state.dir, 'volume') });

    const tooLarge = await send(standIn.port, 'PUT', '/data/big.bin', Buffer.alloc(10 * 1024 * 1024 + 1));
    expect(tooLarge.status).toBe(413);
    const limit = await send(standIn.port, 'PUT', '/data/limit.bin', Buffer.alloc(10 * 1024 * 1024));
    expect(limit.status).toBe(201);
    expect((await send(standIn.port, 'PUT', '/data/dir/file.txt', 'x')).status).toBe(201);
    expect((await send(standIn.port, 'PUT', '/data/dir', 'x')).status).toBe(409);
    expect((await send(standIn.port, 'PUT', '/data/dir/file.txt/under', 'x')).status).toBe(409);

    expect(
      ((await send(standIn.port, 'GET', '/')).json.data as Array<{ path: string }>).map((file) => file.path),
    ).toEqual(['dir/file.txt', 'limit.bin']);
  });
});
