/**
 * `workspaces events --follow` outlives a restart of the stack (issue 10, finding 8): it says once
 * on stderr that it lost the stack and once that it has it back, and prints every event exactly once,
 * carrying on from the last one it read.
 */
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { formatEventLine } from '#local/cli/format.ts';
import { runCli } from '#local/cli/main.ts';
import { readEventPage } from '#local/clients.ts';
import { type LocalStack, startLocalStack } from '#local/stack.ts';
import { clientsFor, publish, tempStateDir } from './helpers.ts';

const waitUntil = async (condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('workspaces events --follow', () => {
  const cleanups: Array<() => unknown> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('reconnects after the stack restarts on the same state directory and prints each event once', async () => {
    const stateDir = tempStateDir();
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const start = (port: number) =>
      startLocalStack({ port, stateDir, driver: 'simulated', quiet: true }).then((stack) => {
        cleanups.push(() => stack.stop().catch(() => {}));
        return stack;
      });
    const publishTo = async (stack: LocalStack, workspaceId: string) => {
      const { events, ecs } = clientsFor(stack.url, stack.region);
      try {
        await publish(events, 'Follow Test Event', { workspaceId });
      } finally {
        events.destroy();
        ecs.destroy();
      }
    };

    const first = await start(0);
    await publishTo(first, 'before-follow');

    const stdout: string[] = [];
    const stderr: string[] = [];
    const follow = new AbortController();
    const following = runCli(['events', '--follow', '--endpoint', first.url], {
      stdout: (line) => stdout.push(line),
      stderr: (line) => stderr.push(line),
      signal: follow.signal,
    });
    cleanups.push(() => follow.abort());
    const printed = (workspaceId: string) => stdout.filter((line) => line.includes(` ${workspaceId}`)).length;

    await waitUntil(() => printed('before-follow') === 1, 'the first event');
    await publishTo(first, 'while-following');
    await waitUntil(() => printed('while-following') === 1, 'the second event');

    await first.stop();
    await waitUntil(() => stderr.length === 1, 'the line saying the stack was lost');
    // A few failed polls while it is down: still one line.
    await new Promise((resolve) => setTimeout(resolve, 1200));

    const second = await start(Number(new URL(first.url).port));
    await publishTo(second, 'after-restart-1');
    await publishTo(second, 'after-restart-2');
    await waitUntil(() => printed('after-restart-2') === 1, 'the events after the restart');
    follow.abort();
    expect(await following).toBe(0);

    const log = await readEventPage(second.url);
    expect(stdout).toEqual(log.events.map(formatEventLine));
    for (const workspaceId of ['before-follow', 'while-following', 'after-restart-1', 'after-restart-2']) {
      expect(printed(workspaceId)).toBe(1);
    }
    expect(stderr).toHaveLength(2);
    expect(stderr[0]).toMatch(
      /^workspaces: lost the stack at http:\/\/127\.0\.0\.1:\d+: .*carrying on after event #2$/,
    );
    expect(stderr[1]).toMatch(
      /^workspaces: the stack at http:\/\/127\.0\.0\.1:\d+ answers again; carrying on after event #2$/,
    );
  });
});
