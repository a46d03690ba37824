import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import {
  acquireStateLock,
  STATE_LOCK_FILE,
  StateDirectoryInUseError,
  type StateLock,
} from '#local/store/index.ts';
import { temporaryStateDir } from './helpers.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../../..');

/** The pid of a process that has exited: a lock naming it is stale. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', '']);
  return child.pid;
}

describe('acquireStateLock', () => {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  });
  const stateDir = (): string => {
    const state = temporaryStateDir();
    cleanups.push(state.remove);
    return state.dir;
  };
  const held = (lock: StateLock): StateLock => {
    cleanups.push(() => lock.release());
    return lock;
  };
  const holderIn = (dir: string) => JSON.parse(readFileSync(join(dir, STATE_LOCK_FILE), 'utf8'));

  it('writes the holder, refuses a second taker naming it, and frees the directory on release', () => {
    const dir = stateDir();
    const lock = held(acquireStateLock(dir));
    expect(holderIn(dir)).toMatchObject({ pid: process.pid });

    expect(() => acquireStateLock(dir)).toThrow(StateDirectoryInUseError);
    expect(() => acquireStateLock(dir)).toThrow(`pid ${process.pid} (still starting)`);
    lock.recordEndpoint('http://127.0.0.1:4321', 4321);
    expect(holderIn(dir)).toMatchObject({ pid: process.pid, port: 4321, url: 'http://127.0.0.1:4321' });
    expect(() => acquireStateLock(dir)).toThrow(`pid ${process.pid} on http://127.0.0.1:4321`);

    lock.release();
    expect(existsSync(join(dir, STATE_LOCK_FILE))).toBe(false);
    held(acquireStateLock(dir));
  });

  const STALE_LOCKS: ReadonlyArray<{ readonly what: string; readonly content: () => string }> = [
    {
      what: 'its pid is gone',
      content: () => JSON.stringify({ pid: deadPid(), startedAt: '2026-01-01T00:00:00Z', host: 'h' }),
    },
    { what: 'it is unreadable', content: () => '{"pid": 12' },
  ];
  it.each(STALE_LOCKS)('takes over a stale lock: $what', ({ content }) => {
    const dir = stateDir();
    writeFileSync(join(dir, STATE_LOCK_FILE), content());
    held(acquireStateLock(dir));
    expect(holderIn(dir)).toMatchObject({ pid: process.pid });
  });

  const LEFT_GUARDS: ReadonlyArray<{ readonly what: string; readonly write: (guard: string) => void }> = [
    {
      what: 'naming a pid that is gone',
      write: (guard) => writeFileSync(guard, JSON.stringify({ pid: deadPid() })),
    },
    {
      what: 'never written and older than two seconds',
      write: (guard) => {
        writeFileSync(guard, '');
        const old = new Date(Date.now() - 5_000);
        utimesSync(guard, old, old);
      },
    },
  ];
  it.each(LEFT_GUARDS)(
    'takes over a stale lock past a takeover guard left by a killed starter: $what',
    ({ write }) => {
      const dir = stateDir();
      writeFileSync(
        join(dir, STATE_LOCK_FILE),
        JSON.stringify({ pid: deadPid(), startedAt: 'x', host: 'h' }),
      );
      write(join(dir, `${STATE_LOCK_FILE}.takeover`));
      held(acquireStateLock(dir));
      expect(holderIn(dir)).toMatchObject({ pid: process.pid });
      expect(existsSync(join(dir, `${STATE_LOCK_FILE}.takeover`))).toBe(false);
    },
  );

  describe('a lock naming a live process', () => {
    let sleeper: ChildProcess | undefined;
    afterEach(() => sleeper?.kill());
    const liveSleeper = (): { pid: number; cmdline: string } => {
      sleeper = spawn('sleep', ['30'], { stdio: 'ignore' });
      const pid = sleeper.pid as number;
      return { pid, cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim() };
    };
    const linux = existsSync('/proc/self/cmdline');

    it('is refused while that process is the one that took it', () => {
      const dir = stateDir();
      const { pid, cmdline } = liveSleeper();
      writeFileSync(join(dir, STATE_LOCK_FILE), JSON.stringify({ pid, cmdline, startedAt: 'x', host: 'h' }));
      expect(() => acquireStateLock(dir)).toThrow(`in use by the local stack pid ${pid}`);
    });

    it.runIf(linux)('is taken over when the pid now runs another program (a reused pid)', () => {
      const dir = stateDir();
      const { pid } = liveSleeper();
      const holder = { pid, cmdline: 'node local/main.ts', startedAt: 'x', host: 'h' };
      writeFileSync(join(dir, STATE_LOCK_FILE), JSON.stringify(holder));
      held(acquireStateLock(dir));
      expect(holderIn(dir)).toMatchObject({ pid: process.pid });
    });
  });

  it('lets exactly one of several starters racing for a stale lock win', async () => {
    const dir = stateDir();
    writeFileSync(
      join(dir, STATE_LOCK_FILE),
      JSON.stringify({ pid: deadPid(), startedAt: '2026-01-01T00:00:00Z', host: 'h' }),
    );
    const racers = 4;
    // Far enough ahead for every racer to have loaded; they then all try in the same instant.
    const at = Date.now() + 8000;
    const outcomes = await Promise.all(
      Array.from({ length: racers }, () =>
        run(
          process.execPath,
          [
            join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
            join(ROOT, 'test/fixtures/race-state-lock.ts'),
            dir,
            String(at),
            '3000',
          ],
          { cwd: ROOT, timeout: 60_000 },
        ).then(({ stdout }) => stdout.trim()),
      ),
    );
    expect(outcomes.filter((outcome) => outcome === 'won')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'refused')).toHaveLength(racers - 1);
  }, 60_000);
});
