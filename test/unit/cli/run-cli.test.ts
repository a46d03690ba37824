import { describe, expect, it } from 'vitest';
import { runCli } from '#local/cli/main.ts';

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (line: string) => out.push(line), stderr: (line: string) => err.push(line) },
    out,
    err,
  };
};

describe('runCli', () => {
  it('exits 2 and sends nothing for a request that breaks the contract', async () => {
    const { io, err } = capture();
    // Port 9 on loopback: were anything sent, the exit code would be 1 (connection refused), not 2.
    const code = await runCli(
      [
        'provision',
        '--workspace-id',
        'ws-1',
        '--org-id',
        'org-1',
        '--runtime',
        'cobol',
        '--endpoint',
        'http://127.0.0.1:9',
      ],
      io,
    );
    expect(code).toBe(2);
    expect(err.join('\n')).toContain("--runtime: runtime must be one of the catalog's runtimes");
  });

  it('exits 2 for an unknown command', async () => {
    const { io, err } = capture();
    expect(await runCli(['launch'], io)).toBe(2);
    expect(err[0]).toContain('unknown command "launch"');
  });

  it('prints the usage for --help', async () => {
    const { io, out } = capture();
    expect(await runCli(['--help'], io)).toBe(0);
    expect(out.join('\n')).toContain('workspaces provision --workspace-id ID');
  });

  it('exits 1 with a hint when the endpoint does not answer', async () => {
    const { io, err } = capture();
    const code = await runCli(
      [
        'provision',
        '--workspace-id',
        'ws-1',
        '--org-id',
        'org-1',
        '--runtime',
        'codex',
        '--endpoint',
        'http://127.0.0.1:9',
      ],
      io,
    );
    expect(code).toBe(1);
    expect(err.join('\n')).toContain('is `npm start` running?');
  });

  it('refuses --aws for the local event log', async () => {
    const { io, err } = capture();
    expect(await runCli(['events', '--aws'], io)).toBe(2);
    expect(err[0]).toContain("reads the local stack's event log");
  });

  it.each([
    [['dead-letters', 'purge'], 'dead-letters: unknown action "purge"'],
    [
      ['dead-letters', 'list', '--queue', 'nope', '--endpoint', 'http://127.0.0.1:9'],
      '--queue "nope" names no dead-letter queue',
    ],
    [
      ['dead-letters', 'redrive', '--dry-run', '--aws', '--endpoint', 'http://127.0.0.1:9'],
      '--aws and --endpoint cannot be combined',
    ],
    [['dead-letters', 'redrive', '--force'], "Unknown option '--force'"],
  ])('exits 2 and sends nothing for %j', async (argv, message) => {
    const { io, err } = capture();
    expect(await runCli(argv, io)).toBe(2);
    expect(err[0]).toContain(message);
  });

  it('exits 1 with a hint when dead-letters cannot reach the endpoint', async () => {
    const { io, err } = capture();
    expect(await runCli(['dead-letters', 'list', '--endpoint', 'http://127.0.0.1:9'], io)).toBe(1);
    expect(err.join('\n')).toContain('is `npm start` running?');
  });

  it('documents the dead-letters commands in the usage', async () => {
    const { io, out } = capture();
    await runCli(['dead-letters'], io);
    expect(out.join('\n')).toContain('workspaces dead-letters redrive [--queue Q] [--dry-run]');
  });
});
