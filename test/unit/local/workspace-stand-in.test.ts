import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { STAND_IN_READY_PREFIX, standInArgv } from '#local/ecs/index.ts';

/** Starts the stand-in with `extraArgs` and `env`, returns its ready line, and stops it. */
async function readyLineOf(extraArgs: string[], env: Record<string, string>): Promise<string> {
  const [command, ...args] = standInArgv();
  const child = spawn(command as string, [...args, ...extraArgs], {
    env: { PATH: process.env.PATH ?? '', PORT: '0', WORKSPACE_ID: 'ws-stand-in', ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      if (line.startsWith(STAND_IN_READY_PREFIX)) return line;
    }
    throw new Error('the stand-in exited before it was ready');
  } finally {
    child.kill('SIGTERM');
  }
}

describe('the stand-in workspace', () => {
  it.each<{ how: string; extraArgs: string[]; env: Record<string, string>; host: string }>([
    { how: 'by default (the process driver)', extraArgs: [], env: {}, host: '127.0.0.1' },
    {
      how: 'even when its environment asks for more (a request env cannot open it up)',
      extraArgs: [],
      env: { HOST: '0.0.0.0', STAND_IN_LISTEN_HOST: '0.0.0.0' },
      host: '127.0.0.1',
    },
    {
      how: 'with --listen-all-interfaces (the stand-in image, behind a published port)',
      extraArgs: ['--listen-all-interfaces'],
      env: {},
      host: '0.0.0.0',
    },
  ])('listens on $host $how', async ({ extraArgs, env, host }) => {
    const line = await readyLineOf(extraArgs, env);

    expect(line.startsWith(`${STAND_IN_READY_PREFIX}on http://${host}:`)).toBe(true);
  });
});
