import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { tempStateDir } from './helpers.ts';
import { ROOT, spawnStack } from './spawned-stack.ts';

/** Preloads the recorder of every module a process resolves; the list is written at exit. */
const recordModules = (file: string) => ({
  env: { ...process.env, LOADED_MODULES_FILE: file },
  args: ['--import', join(ROOT, 'test/fixtures/record-loaded-modules.mjs')],
});
const cdkModulesIn = (file: string): string[] =>
  (JSON.parse(readFileSync(file, 'utf8')) as string[]).filter((url) => /[\\/]aws-cdk-lib[\\/]/.test(url));

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
        /^workspace-provisioner local stack ready at http:\/\/127\.0\.0\.1:\d+ \(driver=process, state=.+\); console at http:\/\/127\.0\.0\.1:\d+\/console$/,
      );
      const health = await fetch(new URL('/local/health', stack.url));
      expect(health.status).toBe(200);
      // The console the ready line names is served, under its policy.
      const consoleUrl = /console at (\S+)$/.exec(stack.readyLine)?.[1] as string;
      const page = await fetch(consoleUrl);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'self'/);
      expect(await page.text()).toContain('/console/assets/app.js');
    } finally {
      await stack.stop();
    }
    expect(stack.output()).toContain('SIGTERM: stopping the local stack');
  });

  it('loads no aws-cdk-lib module: the local stack depends on the wiring, never on the CDK app', async () => {
    const loaded = join(stateDir, 'loaded-by-the-stack.json');
    const recorder = recordModules(loaded);
    const stack = await spawnStack(['--port', '0', '--driver', 'simulated', '--state-dir', stateDir], {
      env: recorder.env,
      nodeArgs: recorder.args,
    });
    expect(await stack.stop()).toBe(0);
    const modules = JSON.parse(readFileSync(loaded, 'utf8')) as string[];
    expect(modules.some((url) => url.endsWith('/local/stack.ts'))).toBe(true);
    expect(cdkModulesIn(loaded)).toEqual([]);
  });

  it('would see aws-cdk-lib if a process loaded it (the recorder works)', async () => {
    const loaded = join(stateDir, 'loaded-by-the-control.json');
    const recorder = recordModules(loaded);
    await promisify(execFile)(
      process.execPath,
      [...recorder.args, '-e', "await import('aws-cdk-lib/aws-events')"],
      {
        cwd: ROOT,
        env: recorder.env,
      },
    );
    expect(cdkModulesIn(loaded).length).toBeGreaterThan(0);
  });

  it('refuses a bad flag with exit code 2 and says what a good one looks like', async () => {
    await expect(spawnStack(['--driver', 'kubernetes', '--state-dir', stateDir])).rejects.toThrow(
      /--driver must be one of process, simulated, docker; got "kubernetes"/,
    );
  });
});
