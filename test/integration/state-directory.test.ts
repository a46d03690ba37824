import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { tempStateDir } from './helpers.ts';
import { ROOT } from './spawned-stack.ts';

/**
 * Bad state directories fail fast (issue 10, finding 8): `--state-dir /proc/x` spun at full CPU in
 * Node's recursive mkdir; the others failed late or with a bare errno. Each case starts the stack in
 * a process of its own, as `nobody` when the test runs as root (root ignores write permission).
 */

const run = promisify(execFile);
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');
const FIXTURE = join(ROOT, 'test/fixtures/start-on-state-dir.ts');
const asRoot = process.getuid?.() === 0;
const NOBODY = 65534;

const scratch = tempStateDir();
chmodSync(scratch, 0o755);
afterAll(() => {
  chmodSync(readOnly, 0o755);
  chmodSync(unwritable, 0o755);
  rmSync(scratch, { recursive: true, force: true });
});
const aFile = join(scratch, 'a-file');
writeFileSync(aFile, 'not a directory');
const unwritable = join(scratch, 'unwritable');
mkdirSync(unwritable, { mode: 0o555 });
chmodSync(unwritable, 0o555);
const readOnly = join(scratch, 'read-only');
mkdirSync(readOnly);
chmodSync(readOnly, 0o555);

interface Outcome {
  readonly ms: number;
  readonly name?: string;
  readonly message?: string;
}

async function startOn(stateDir: string): Promise<Outcome> {
  const { stdout } = await run(process.execPath, [TSX, FIXTURE, stateDir], {
    cwd: ROOT,
    timeout: 60_000,
    ...(asRoot ? { uid: NOBODY, gid: NOBODY, env: { ...process.env, HOME: '/tmp' } } : {}),
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as Outcome;
}

const CASES: ReadonlyArray<{ readonly what: string; readonly stateDir: string; readonly why: RegExp }> = [
  { what: 'a path under /proc', stateDir: '/proc/x', why: /\/proc does not take new directories/ },
  { what: 'a path that is a file', stateDir: aFile, why: /exists and is not a directory/ },
  {
    what: 'a path under a file',
    stateDir: join(aFile, 'state'),
    why: /a-file exists and is not a directory/,
  },
  { what: 'a directory without write permission', stateDir: unwritable, why: /is not writable: EACCES/ },
  {
    what: 'a path under a missing parent in a read-only directory',
    stateDir: join(readOnly, 'missing', 'state'),
    why: /mkdir .*read-only\/missing failed: EACCES/,
  },
];

describe('a bad --state-dir', () => {
  it.each(CASES)('fails within a second with a message naming the path: $what', async ({ stateDir, why }) => {
    const outcome = await startOn(stateDir);

    expect(outcome.name).toBe('StateDirectoryError');
    expect(outcome.message).toContain(stateDir);
    expect(outcome.message).toMatch(why);
    expect(outcome.ms).toBeLessThan(1000);
    // Nothing was created on the way.
    expect(readdirSync(readOnly)).toEqual([]);
    expect(readdirSync(unwritable)).toEqual([]);
    expect(readFileSync(aFile, 'utf8')).toBe('not a directory');
    expect(existsSync('/proc/x')).toBe(false);
  });

  it('exits npm start with code 1 and the reason on stderr', async () => {
    const failure = await run(
      process.execPath,
      [TSX, join(ROOT, 'local/main.ts'), '--state-dir', aFile, '--port', '0'],
      {
        cwd: ROOT,
        timeout: 60_000,
      },
    ).then(
      () => undefined,
      (error: { code?: number; stderr?: string }) => error,
    );

    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toContain(
      `state directory ${aFile} cannot be used: ${aFile} exists and is not a directory`,
    );
  });
});
