import { rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { tempStateDir } from './helpers.ts';
import { spawnStack } from './spawned-stack.ts';

const stateDir = tempStateDir();
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

describe('npm start', () => {
  it('serves within 20 seconds, prints the ready line with its URL, and stops on SIGTERM', async () => {
    const stack = await spawnStack(['--port', '0', '--state-dir', stateDir], {
      viaNpm: true,
      readyTimeoutMs: 20_000,
    });
    try {
      expect(stack.readyLine).toMatch(
        /^workspace-provisioner local stack ready at http:\/\/127\.0\.0\.1:\d+ \(driver=process, state=.+\)$/,
      );
      const health = await fetch(new URL('/local/health', stack.url));
      expect(health.status).toBe(200);
    } finally {
      await stack.stop();
    }
    expect(stack.output()).toContain('SIGTERM: stopping the local stack');
  });

  it('refuses a bad flag with exit code 2 and says what a good one looks like', async () => {
    await expect(spawnStack(['--driver', 'kubernetes', '--state-dir', stateDir])).rejects.toThrow(
      /--driver must be one of process, simulated, docker; got "kubernetes"/,
    );
  });
});
