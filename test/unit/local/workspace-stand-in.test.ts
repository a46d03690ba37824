import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { findFreePort } from '#local/ecs/drivers/local-ports.ts';
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

describe('the stand-in workspace report', () => {
  /** Starts the stand-in with `env`; resolves with its URL once ready, or its exit code and stderr if it exits first. */
  type Started = { url: string; stop: () => void } | { exitCode: number | null; stderr: string };
  async function startStandIn(env: Record<string, string>): Promise<Started> {
    const [command, ...args] = standInArgv();
    const port = await findFreePort();
    const child = spawn(command as string, args, {
      env: { PATH: process.env.PATH ?? '', PORT: String(port), ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    for await (const line of createInterface({ input: child.stdout })) {
      if (line.startsWith(STAND_IN_READY_PREFIX)) {
        return {
          url: `http://127.0.0.1:${port}`,
          stop: () => {
            child.kill('SIGTERM');
          },
        };
      }
    }
    return { exitCode: await exited, stderr };
  }

  it('answers GET / with its id, kind, sorted variable names (never values) and every configs file with its sha256', async () => {
    const { mkdtempSync, mkdirSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { createHash } = await import('node:crypto');
    const configs = mkdtempSync(join(tmpdir(), 'stand-in-configs-'));
    try {
      mkdirSync(join(configs, 'prompts', 'deep'), { recursive: true });
      const files: Record<string, string> = {
        'config.yaml': 'model: claude\n',
        'prompts/concierge.md': '# concierge\n',
        'prompts/deep/z.txt': 'z',
      };
      for (const [path, content] of Object.entries(files)) writeFileSync(join(configs, path), content);
      const started = await startStandIn({
        WORKSPACE_ID: 'ws-report',
        WORKSPACE_KIND: 'platform',
        WORKSPACE_CONFIG_PATH: configs,
        ANTHROPIC_API_KEY: 'sk-secret-value',
      });
      if (!('url' in started)) throw new Error(`the stand-in exited: ${started.stderr}`);
      try {
        const report = (await (await fetch(`${started.url}/`)).json()) as Record<string, unknown>;
        expect(report).toEqual({
          workspaceId: 'ws-report',
          kind: 'platform',
          env: expect.any(Array),
          configs: Object.keys(files)
            .sort()
            .map((path) => ({
              path,
              sha256: createHash('sha256')
                .update(files[path] as string)
                .digest('hex'),
            })),
          data: [],
        });
        const env = report.env as string[];
        expect(env).toEqual([...env].sort());
        expect(env).toEqual(
          expect.arrayContaining(['ANTHROPIC_API_KEY', 'WORKSPACE_CONFIG_PATH', 'WORKSPACE_ID', 'PORT']),
        );
        expect(JSON.stringify(report)).not.toContain('sk-secret-value');
      } finally {
        started.stop();
      }
    } finally {
      rmSync(configs, { recursive: true, force: true });
    }
  });

  it('exits 1 with a clear message when WORKSPACE_CONFIG_PATH holds no config.yaml', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const empty = mkdtempSync(join(tmpdir(), 'stand-in-empty-'));
    try {
      const started = await startStandIn({ WORKSPACE_ID: 'ws-empty', WORKSPACE_CONFIG_PATH: empty });
      if ('url' in started) {
        started.stop();
        throw new Error('the stand-in started without config.yaml');
      }
      expect(started.exitCode).toBe(1);
      expect(started.stderr).toContain(`${join(empty, 'config.yaml')} is missing`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('the stand-in workspace on POST /exit', () => {
  /** Starts the stand-in on a free port; resolves once it is ready, with its URL and its exit. */
  async function startStandIn(): Promise<{ url: string; exited: Promise<number | null>; kill: () => void }> {
    const [command, ...args] = standInArgv();
    const port = await findFreePort();
    const child = spawn(command as string, args, {
      env: { PATH: process.env.PATH ?? '', PORT: String(port), WORKSPACE_ID: 'ws-exit' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    for await (const line of createInterface({ input: child.stdout })) {
      if (line.startsWith(STAND_IN_READY_PREFIX)) break;
    }
    // Keep reading, so a full pipe never stalls the child.
    child.stdout.resume();
    return { url: `http://127.0.0.1:${port}`, exited, kill: () => child.kill('SIGKILL') };
  }

  it.each([0, 3, 137, 255])('answers 202 and exits with code %i', async (code) => {
    const standIn = await startStandIn();
    try {
      const response = await fetch(`${standIn.url}/exit`, { method: 'POST', body: JSON.stringify({ code }) });

      expect(response.status).toBe(202);
      expect(await response.json()).toEqual({ exiting: code });
      expect(await standIn.exited).toBe(code);
    } finally {
      standIn.kill();
    }
  });

  it.each<{ why: string; body: string; error: RegExp }>([
    { why: 'a body that is not JSON', body: 'exit please', error: /must be JSON/ },
    { why: 'no code', body: '{}', error: /"code" must be a whole number from 0 to 255/ },
    { why: 'a code above 255', body: '{"code": 256}', error: /from 0 to 255/ },
    { why: 'a negative code', body: '{"code": -1}', error: /from 0 to 255/ },
    { why: 'a fractional code', body: '{"code": 1.5}', error: /whole number/ },
    { why: 'a code given as text', body: '{"code": "1"}', error: /whole number/ },
    { why: 'a JSON array', body: '[1]', error: /"code"/ },
  ])('refuses $why with 400 and a JSON error, and keeps serving', async ({ body, error }) => {
    const standIn = await startStandIn();
    try {
      const response = await fetch(`${standIn.url}/exit`, { method: 'POST', body });

      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toMatch(error);
      expect((await fetch(`${standIn.url}/`)).status).toBe(200);
    } finally {
      standIn.kill();
    }
  });
});
