/**
 * One local stack per state directory. Two stacks on one directory corrupt each other (the second
 * one's ECS reconciliation marks the first one's running tasks STOPPED), so `startLocalStack` takes
 * `<state-dir>/stack.lock` before it reads or writes anything else there. The lock file is created
 * exclusively (written aside, then `link`ed into place, which fails if it exists) and holds {@link StateLockHolder}; a lock left by a killed stack (its pid gone,
 * or reused by another program) is taken over under a second exclusive file, so two starters racing
 * for one stale lock cannot both win.
 */

import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { IN_MEMORY } from './database.ts';
import { StateDirectoryError, StateDirectoryInUseError } from './errors.ts';
import { prepareStateDirectory } from './state-directory.ts';

/** File name of the lock inside the state directory. */
export const STATE_LOCK_FILE = 'stack.lock';

/** What the lock file says about the stack that holds it. */
export interface StateLockHolder {
  readonly pid: number;
  /** The endpoint, once it listens. */
  readonly url?: string;
  readonly port?: number;
  readonly startedAt: string;
  readonly host: string;
  /** The holder's `/proc/<pid>/cmdline`, to tell a reused pid from the holder (absent off Linux). */
  readonly cmdline?: string;
}

/** A held state lock. */
export interface StateLock {
  /** Path of the lock file. */
  readonly path: string;
  /** Records the endpoint in the lock file once it listens, for the message a second start prints. */
  recordEndpoint(url: string, port: number): void;
  /** Removes the lock file if it is still this lock; safe to call twice. */
  release(): void;
}

/** Lock files this process holds: a lock naming this pid is live only if it is one of these. */
const heldHere = new Set<string>();

/**
 * Takes the state directory's lock, or throws naming the live stack that holds it. The directory
 * must exist (see `prepareStateDirectory`).
 *
 * @throws StateDirectoryInUseError when a live local stack holds it.
 * @throws StateDirectoryError when the lock file cannot be written.
 */
export function acquireStateLock(stateDir: string): StateLock {
  const path = join(stateDir, STATE_LOCK_FILE);
  let holder: StateLockHolder = {
    pid: process.pid,
    startedAt: new Date().toISOString(),
    host: hostname(),
    ...cmdlineField(process.pid),
  };
  // Rounds until a deadline: each lost race re-reads what won it, and a round that found another
  // starter mid-takeover waits a moment for it to finish rather than spinning (under load a racer
  // can hold the takeover guard for longer than any fixed number of tight rounds).
  const deadline = Date.now() + TAKEOVER_DEADLINE_MS;
  for (let round = 0; round === 0 || Date.now() < deadline; round++) {
    if (createExclusively(path, holder)) {
      heldHere.add(path);
      return {
        path,
        recordEndpoint(url, port) {
          holder = { ...holder, url, port };
          if (!heldHere.has(path)) return;
          const temporary = `${path}.${process.pid}.tmp`;
          writeFileSync(temporary, JSON.stringify(holder));
          renameSync(temporary, path);
        },
        release() {
          if (!heldHere.delete(path)) return;
          if (readHolder(path)?.pid === process.pid) unlinkSync(path);
        },
      };
    }
    const existing = readHolder(path);
    if (existing !== undefined && isLive(existing, path)) throw inUse(stateDir, existing);
    if (!takeOverStale(path, existing)) sleepSync(Math.min(5 * (round + 1), 50));
  }
  throw new StateDirectoryError(
    `state directory ${stateDir}: could not take ${path} (other starters kept winning)`,
  );
}

/** How long a starter keeps trying while other starters take over a stale lock. */
const TAKEOVER_DEADLINE_MS = 10_000;

/** A takeover guard this old whose holder never wrote its pid was left by a starter killed midway. */
const UNWRITTEN_GUARD_MS = 2_000;

/** Blocks this thread for `ms` (the lock is taken synchronously, before the stack starts). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Creates the lock file with `holder` if none exists; false when one does. */
function createExclusively(path: string, holder: StateLockHolder): boolean {
  // Written whole to a file of its own, then linked into place: `link` fails when the lock exists,
  // as `open(wx)` does, and no reader ever sees a half-written lock.
  const draft = `${path}.${process.pid}.new`;
  try {
    writeFileSync(draft, JSON.stringify(holder), { flag: 'w' });
    linkSync(draft, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new StateDirectoryError(`cannot create the state lock ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    rmSync(draft, { force: true });
  }
}

/**
 * Removes a stale lock under `<lock>.takeover`, created exclusively: only the starter holding it
 * may remove the lock, and only after re-reading that it is still the stale one it judged (a racer
 * may have replaced it with a live lock meanwhile). A takeover file left by a starter killed midway
 * is itself stale once its pid is gone, or, if it never got its pid written, once it is old.
 *
 * @returns false when another starter holds the guard (the caller waits before its next round).
 */
function takeOverStale(path: string, stale: StateLockHolder | undefined): boolean {
  const guard = `${path}.takeover`;
  let fd: number;
  try {
    fd = openSync(guard, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    if (guardIsStale(guard)) rmSync(guard, { force: true });
    return false;
  }
  try {
    writeSync(fd, JSON.stringify({ pid: process.pid }));
    closeSync(fd);
    const now = readHolder(path);
    if (JSON.stringify(now) === JSON.stringify(stale)) unlinkSync(path);
  } finally {
    unlinkSync(guard);
  }
  return true;
}

/** Whether a takeover guard was left by a starter that died holding it. */
function guardIsStale(guard: string): boolean {
  const guardHolder = readHolder(guard);
  if (guardHolder !== undefined) return !processAlive(guardHolder.pid);
  try {
    return Date.now() - statSync(guard).mtimeMs > UNWRITTEN_GUARD_MS;
  } catch {
    return false;
  }
}

/** The holder a lock file names; undefined when it is gone or unreadable (corrupt: stale). */
function readHolder(path: string): StateLockHolder | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<StateLockHolder>;
    return typeof parsed.pid === 'number' ? (parsed as StateLockHolder) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the holder still runs: its pid is alive and, where `/proc` tells, still runs the program
 * that took the lock (a pid reused by another program is not a local stack). A lock naming this
 * process is live only if this process took it.
 */
function isLive(holder: StateLockHolder, path: string): boolean {
  if (holder.pid === process.pid) return heldHere.has(path);
  if (!processAlive(holder.pid)) return false;
  const now = cmdlineField(holder.pid).cmdline;
  return holder.cmdline === undefined || now === undefined || now === holder.cmdline;
}

/** Whether a process with this pid exists (EPERM: it exists under another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** `{ cmdline }` of a pid from `/proc`, or nothing where there is no `/proc`. */
function cmdlineField(pid: number): { cmdline?: string } {
  try {
    return { cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim() };
  } catch {
    return {};
  }
}

/** The error a second start reports: who holds the directory and how to proceed. */
function inUse(stateDir: string, holder: StateLockHolder): StateDirectoryInUseError {
  const where = holder.url ? ` on ${holder.url}` : ' (still starting)';
  return new StateDirectoryInUseError(
    `state directory ${stateDir} is in use by the local stack pid ${holder.pid}${where}; stop it first or use another --state-dir`,
    holder.pid,
  );
}

/** A state lock with a guard for the steps between taking it and handing its release to shutdown. */
export interface HeldStateDirectory extends StateLock {
  /** Runs `step`; releases the lock if it throws, so a failed start leaves the directory free. */
  releaseOnThrow<T>(step: () => T): T;
}

/**
 * Prepares the state directory (see `prepareStateDirectory`) and takes its lock; an in-memory store
 * (`stateDir` ':memory:') has no directory and gets a lock that holds nothing.
 *
 * @throws StateDirectoryError or StateDirectoryInUseError, before anything in the directory is touched.
 */
export function lockStateDirectory(stateDir: string): HeldStateDirectory {
  const lock = stateDir === IN_MEMORY ? NO_LOCK : prepareAndAcquire(stateDir);
  return {
    ...lock,
    releaseOnThrow(step) {
      try {
        return step();
      } catch (error) {
        lock.release();
        throw error;
      }
    },
  };
}

/** The lock of an in-memory store: there is no directory to share. */
const NO_LOCK: StateLock = { path: IN_MEMORY, recordEndpoint() {}, release() {} };

/** Creates or checks the directory, then takes its lock. */
function prepareAndAcquire(stateDir: string): StateLock {
  prepareStateDirectory(stateDir);
  return acquireStateLock(stateDir);
}
