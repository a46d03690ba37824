import { describe, expect, it } from 'vitest';
import {
  envFileNames,
  formatEnvFile,
  parseEnvFile,
  readSecretPairs,
  secretNameProblem,
} from '#local/cli/env-file.ts';
import { UsageError } from '#local/cli/errors.ts';
import { runCli } from '#local/cli/main.ts';
import { secretsFileOf } from '#local/cli/secrets.ts';

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (line: string) => out.push(line), stderr: (line: string) => err.push(line) },
    out,
    err,
  };
};

const usageMessage = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
};

describe('secret names', () => {
  it.each(['ANTHROPIC_API_KEY', 'GIT_TOKEN', '_PRIVATE', 'a1'])('takes %s', (name) => {
    expect(secretNameProblem(name)).toBeUndefined();
  });

  it.each([
    ['1ABC', 'not an environment variable name'],
    ['MY-KEY', 'not an environment variable name'],
    ['', 'not an environment variable name'],
    ['A B', 'not an environment variable name'],
    ['LD_PRELOAD', 'makes a loader or interpreter run code'],
    ['NODE_OPTIONS', 'makes a loader or interpreter run code'],
  ])('refuses %j', (name, message) => {
    expect(secretNameProblem(name)).toContain(message);
  });
});

describe('NAME=VALUE pairs', () => {
  it('keeps = inside a value and never names the value in an error', () => {
    const pairs = readSecretPairs([{ text: 'TOKEN=a=b=c', where: 'argument 1' }]);
    expect(pairs.get('TOKEN')).toBe('a=b=c');
    const message = usageMessage(() =>
      readSecretPairs([{ text: 'TOKEN=sk-line\nbreak-secret', where: 'argument 1' }]),
    );
    expect(message).toContain('argument 1: the value of TOKEN holds a line break');
    expect(message).not.toContain('sk-line');
  });

  it('refuses a pair without a name, and a name set twice', () => {
    expect(usageMessage(() => readSecretPairs([{ text: '=value', where: 'argument 1' }]))).toBe(
      'argument 1: expected NAME=VALUE',
    );
    expect(
      usageMessage(() =>
        readSecretPairs([
          { text: 'A=1', where: 'argument 1' },
          { text: 'A=2', where: 'argument 2' },
        ]),
      ),
    ).toBe('argument 2: A is set more than once');
  });
});

describe('env files', () => {
  it('round-trips through format and parse, names sorted, with a comment line', () => {
    const text = formatEnvFile(
      new Map([
        ['Z_TOKEN', 'z'],
        ['A_KEY', 'a=1'],
      ]),
      'scope org of org org-1',
    );
    expect(text).toBe('# scope org of org org-1\nA_KEY=a=1\nZ_TOKEN=z\n');
    expect([...parseEnvFile(text, 'f')]).toEqual([
      ['A_KEY', 'a=1'],
      ['Z_TOKEN', 'z'],
    ]);
  });

  it('lists the names a file sets, skipping comments and blank lines', () => {
    expect(envFileNames('# c\n\nA=1\n  # d\nB=2\nA=3\n')).toEqual(['A', 'B']);
  });
});

describe('which secrets file a command names', () => {
  it('derives the key from the scope and ids, as the provisioner does', () => {
    expect(secretsFileOf({ org: 'org-1', scope: 'org' }).key).toBe('orgs/org-1/secrets/org.env');
    expect(secretsFileOf({ 'org-id': 'org-1', scope: 'platform' }).key).toBe(
      'orgs/org-1/secrets/platform.env',
    );
    expect(secretsFileOf({ org: 'org-1', workspace: 'ws-1' })).toMatchObject({
      scope: 'workspace',
      key: 'orgs/org-1/workspaces/ws-1/secrets.env',
    });
  });

  it.each([
    [{ scope: 'org' }, 'secrets needs --org ID'],
    [{ org: 'org-1' }, 'needs --scope org, --scope platform or --workspace ID'],
    [{ org: 'org-1', scope: 'team' }, '--scope must be org or platform'],
    [{ org: 'org-1', scope: 'workspace' }, 'the workspace scope needs --workspace ID'],
    [{ org: 'org-1', scope: 'org', workspace: 'ws-1' }, '--workspace is for a workspace'],
    [{ org: '../other', scope: 'org' }, '--org: orgId may contain only'],
    [{ org: 'org-1', 'org-id': 'org-2', scope: 'org' }, 'give --org or --org-id, not both'],
  ])('refuses %j', (flags, message) => {
    expect(usageMessage(() => secretsFileOf(flags))).toContain(message);
  });
});

describe('workspaces secrets and assets: usage errors exit 2 before anything is sent', () => {
  // Port 9 on loopback: were anything sent, the exit code would be 1 (connection refused), not 2.
  const endpoint = ['--endpoint', 'http://127.0.0.1:9'];

  it.each([
    [['secrets', 'set', '--org', 'org-1', '--scope', 'org', ...endpoint], 'needs NAME=VALUE arguments'],
    [['secrets', 'set', '--org', 'org-1', '--scope', 'org', '1X=sk-value', ...endpoint], 'argument 1'],
    [
      [
        'secrets',
        'set',
        '--org',
        'org-1',
        '--scope',
        'org',
        '--from-file',
        '/nonexistent/x.env',
        ...endpoint,
      ],
      'cannot read',
    ],
    [['secrets', 'list', ...endpoint], 'secrets list needs --org ID'],
    [['secrets', 'rotate'], 'the actions are set and list'],
    [['assets', 'stage', ...endpoint], 'assets stage needs --request ID'],
    [['assets', 'stage', '--request', 'r-1', '--aws'], 'use --endpoint, not --aws'],
    [['assets', 'stage', '--request', 'r-1', '--from', 'd', '--template', 't', ...endpoint], 'not both'],
  ])('%j', async (argv, message) => {
    const { io, out, err } = capture();
    expect(await runCli(argv, io)).toBe(2);
    expect(err.join('\n')).toContain(message);
    expect([...out, ...err].join('\n')).not.toContain('sk-value');
  });

  it('prints the new commands in --help', async () => {
    const { io, out } = capture();
    await runCli(['--help'], io);
    expect(out.join('\n')).toContain('workspaces secrets set --org ID');
    expect(out.join('\n')).toContain('workspaces assets stage --request ID');
  });
});
