import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListTasksCommand } from '@aws-sdk/client-ecs';
import { afterAll, describe, expect, it } from 'vitest';
import { DETAIL_TYPES } from '#contracts/names.ts';
import { startLocalStack, waitForEvents } from '#local/stack.ts';
import { STATE_LOCK_FILE, StateDirectoryInUseError } from '#local/store/index.ts';
import { hasAll, provisionRequest, publishProvision, startTestStack, uniqueId } from './helpers.ts';

/**
 * One stack per state directory (issue 10, finding 1): a second start on the same directory wrote
 * desiredStatus=STOPPED for every running task of the first (its ECS reconciliation adopted them as
 * its own leftovers), even when it then failed to start. Now it is refused before it touches anything.
 */

const first = await startTestStack();
afterAll(() => first.stop());

const runningTaskArns = async (): Promise<string[]> =>
  (await first.ecs.send(new ListTasksCommand({ cluster: 'workspaces', desiredStatus: 'RUNNING' })))
    .taskArns ?? [];

describe('a second stack on a state directory in use', () => {
  const port = Number(new URL(first.stack.url).port);
  const SECOND_STARTS = [
    { why: 'on its own', options: {} },
    { why: 'on a port in use', options: { port } },
    { why: 'with a refused --host', options: { host: '0.0.0.0' } },
    { why: 'with --reset', options: { reset: true } },
  ];

  it('leaves the first stack its lock, naming its pid and port', () => {
    const holder = JSON.parse(readFileSync(join(first.stateDir, STATE_LOCK_FILE), 'utf8'));
    expect(holder).toMatchObject({ pid: process.pid, port, url: first.stack.url });
    expect(Date.parse(holder.startedAt)).not.toBeNaN();
    expect(typeof holder.host).toBe('string');
  });

  it.each(SECOND_STARTS)('is refused, names the holder and changes nothing: $why', async ({ options }) => {
    const workspaceId = uniqueId('locked');
    await publishProvision(first.events, provisionRequest(workspaceId));
    await waitForEvents(first.stack.url, hasAll(workspaceId, DETAIL_TYPES.running), 15_000);
    const before = await runningTaskArns();
    expect(before.length).toBeGreaterThan(0);

    const second = startLocalStack({
      stateDir: first.stateDir,
      port: 0,
      // Another driver: its reconciliation would stop every task the first stack runs.
      driver: 'process',
      quiet: true,
      ...options,
    });

    await expect(second).rejects.toThrow(StateDirectoryInUseError);
    await expect(second).rejects.toThrow(
      `state directory ${first.stateDir} is in use by the local stack pid ${process.pid} on ${first.stack.url}; stop it first or use another --state-dir`,
    );
    // Give a stray reconciliation (the bug: on the next tick) time to write.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await runningTaskArns()).toEqual(before);
  });
});

describe('the lock on a clean stop', () => {
  it('is released, and the next stack on the directory starts', async () => {
    const stack = await startTestStack();
    const lock = join(stack.stateDir, STATE_LOCK_FILE);
    expect(existsSync(lock)).toBe(true);
    await stack.stack.stop();
    expect(existsSync(lock)).toBe(false);

    const next = await startTestStack({ stateDir: stack.stateDir });
    await next.stop();
  });
});
