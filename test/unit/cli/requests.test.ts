import { describe, expect, it } from 'vitest';
import { UsageError } from '#local/cli/errors.ts';
import { parseCommand } from '#local/cli/main.ts';
import { deprovisionEntry, parseEnvFlags, provisionEntry } from '#local/cli/requests.ts';
import { targetFrom } from '#local/cli/target.ts';

const base = { 'workspace-id': 'ws-1', 'org-id': 'org-1', runtime: 'claude-code' } as const;

const usageMessage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).exitCode).toBe(2);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError');
};

describe('provisionEntry', () => {
  it('builds a platform request with the defaults filled in', () => {
    const { entry, detail } = provisionEntry({ ...base, kind: 'platform', 'request-id': 'req-1' });
    expect(entry).toMatchObject({
      Source: 'platform.workspace-server',
      DetailType: 'Workspace Provision Requested',
      EventBusName: 'workspaces',
    });
    expect(JSON.parse(entry.Detail)).toEqual({
      requestId: 'req-1',
      workspaceId: 'ws-1',
      orgId: 'org-1',
      runtime: 'claude-code',
      kind: 'platform',
      tier: 2,
      // v1.2: the contract's default recovery is filled in like kind and tier.
      recovery: 'on-failure',
    });
    expect(detail.kind).toBe('platform');
  });

  it('generates a request id within the contract when none is given', () => {
    const { detail } = provisionEntry(base);
    expect(detail.requestId).toMatch(/^cli-[0-9a-f-]{36}$/);
  });

  it('turns --tier, --template and repeated --env into contract fields', () => {
    const { detail } = provisionEntry({
      ...base,
      tier: '3',
      template: 'starter',
      env: ['LOG_LEVEL=debug', 'URL=a=b'],
    });
    expect(detail).toMatchObject({ tier: 3, template: 'starter', env: { LOG_LEVEL: 'debug', URL: 'a=b' } });
  });

  it('v1.3: turns --persistent and --size-gib into storage, and --size-gib alone into the contract error', () => {
    expect(provisionEntry({ ...base, persistent: true }).detail.storage).toEqual({ persistent: true });
    expect(provisionEntry({ ...base, persistent: true, 'size-gib': '50' }).detail.storage).toEqual({
      persistent: true,
      sizeGiB: 50,
    });
    expect(provisionEntry(base).detail.storage).toBeUndefined();
    expect(usageMessage(() => provisionEntry({ ...base, 'size-gib': '50' }))).toContain(
      '--persistent/--size-gib: storage.sizeGiB applies only to persistent storage',
    );
    expect(usageMessage(() => provisionEntry({ ...base, persistent: true, 'size-gib': '0' }))).toContain(
      'storage.sizeGiB must be an integer from 1 to 16384',
    );
  });

  it('v1.3: turns deprovision --erase into erase: true', () => {
    expect(JSON.parse(deprovisionEntry({ 'workspace-id': 'ws-1', erase: true }).entry.Detail)).toMatchObject({
      erase: true,
    });
    expect(JSON.parse(deprovisionEntry({ 'workspace-id': 'ws-1' }).entry.Detail)).not.toHaveProperty('erase');
  });

  it('turns --secrets into the list of scopes', () => {
    const { detail } = provisionEntry({ ...base, kind: 'platform', secrets: 'org, platform,workspace' });
    expect(detail.secrets).toEqual(['org', 'platform', 'workspace']);
  });

  it.each([
    ['platform secrets on a workspace kind', { kind: 'workspace', secrets: 'org,platform' }],
    ['an unknown scope', { secrets: 'team' }],
  ])('refuses %s, naming --secrets', (_name, flags) => {
    expect(usageMessage(() => provisionEntry({ ...base, ...flags }))).toContain('--secrets:');
  });

  it('honours --source and --bus', () => {
    const { entry } = provisionEntry({ ...base, source: 'team.tester', bus: 'other-bus' });
    expect(entry).toMatchObject({ Source: 'team.tester', EventBusName: 'other-bus' });
  });

  it.each([
    ['an unknown runtime', { runtime: 'cobol' }, "--runtime: runtime must be one of the catalog's runtimes"],
    ['an unknown kind', { kind: 'admin' }, '--kind: kind must be one of: workspace, platform'],
    ['a tier out of range', { tier: '9' }, '--tier: tier must be an integer from 1 to 4'],
    ['a tier that is not a number', { tier: 'big' }, '--tier: tier must be an integer from 1 to 4'],
    [
      'a workspace id with a space',
      { 'workspace-id': 'ws 1' },
      '--workspace-id: workspaceId may contain only',
    ],
    [
      'a request id that is too long',
      { 'request-id': 'r'.repeat(65) },
      '--request-id: requestId must be 1 to 64 characters',
    ],
    ['a template in upper case', { template: 'Starter' }, '--template: template may contain only'],
    ['a reserved env name', { env: ['AWS_REGION=x'] }, '--env: env name "AWS_REGION" is not allowed'],
    ['a lower-case env name', { env: ['debug=1'] }, '--env: env name "debug" is not allowed'],
  ])('refuses %s, naming the flag', (_name, flags, message) => {
    expect(usageMessage(() => provisionEntry({ ...base, ...flags }))).toContain(message);
  });

  it('lists every bad flag at once', () => {
    const message = usageMessage(() => provisionEntry({ ...base, runtime: 'cobol', tier: '0' }));
    expect(message).toContain('--runtime');
    expect(message).toContain('--tier');
    expect(message).toContain('nothing was sent');
  });

  it('names the missing required flags', () => {
    expect(usageMessage(() => provisionEntry({ runtime: 'codex' }))).toBe(
      'provision needs --workspace-id, --org-id',
    );
  });
});

describe('parseEnvFlags', () => {
  it('refuses a pair without a name', () => {
    expect(usageMessage(() => parseEnvFlags(['=value']))).toBe(
      '--env must look like NAME=VALUE; got "=value"',
    );
  });

  it('refuses a pair without =', () => {
    expect(usageMessage(() => parseEnvFlags(['NAME']))).toContain('NAME=VALUE');
  });

  it('refuses a name given twice', () => {
    expect(usageMessage(() => parseEnvFlags(['A=1', 'A=2']))).toBe('--env sets A more than once');
  });
});

describe('deprovisionEntry', () => {
  it('builds a deprovision request with a reason', () => {
    const { entry } = deprovisionEntry({ 'workspace-id': 'ws-1', reason: 'done', 'request-id': 'req-2' });
    expect(entry.DetailType).toBe('Workspace Deprovision Requested');
    expect(JSON.parse(entry.Detail)).toEqual({ requestId: 'req-2', workspaceId: 'ws-1', reason: 'done' });
  });

  it('refuses a reason over 256 characters', () => {
    expect(
      usageMessage(() => deprovisionEntry({ 'workspace-id': 'ws-1', reason: 'x'.repeat(257) })),
    ).toContain('--reason: reason must be at most 256 characters');
  });

  it('needs --workspace-id', () => {
    expect(usageMessage(() => deprovisionEntry({}))).toBe('deprovision needs --workspace-id');
  });
});

describe('parseCommand', () => {
  it('reads repeated --env flags', () => {
    const values = parseCommand('provision', ['--env', 'A=1', '--env', 'B=2', '--kind', 'platform']);
    expect(values.env).toEqual(['A=1', 'B=2']);
    expect(values.kind).toBe('platform');
  });

  it('refuses an unknown flag', () => {
    expect(usageMessage(() => parseCommand('provision', ['--workspace', 'ws-1']))).toContain(
      "Unknown option '--workspace'",
    );
  });

  it('refuses a flag without its value', () => {
    expect(usageMessage(() => parseCommand('status', ['--workspace-id']))).toContain('--workspace-id');
  });

  it('refuses stray arguments', () => {
    expect(usageMessage(() => parseCommand('events', ['extra']))).toContain('extra');
  });
});

describe('targetFrom', () => {
  it('defaults to the local stack on 127.0.0.1:4010 in us-east-1', () => {
    expect(targetFrom({})).toEqual({ kind: 'local', endpoint: 'http://127.0.0.1:4010', region: 'us-east-1' });
  });

  it('takes any endpoint URL', () => {
    expect(targetFrom({ endpoint: 'http://localhost:5000/', region: 'eu-west-1' })).toEqual({
      kind: 'local',
      endpoint: 'http://localhost:5000',
      region: 'eu-west-1',
    });
  });

  it('goes to AWS with --aws', () => {
    expect(targetFrom({ aws: true })).toEqual({ kind: 'aws' });
  });

  it('refuses --aws with --endpoint', () => {
    expect(usageMessage(() => targetFrom({ aws: true, endpoint: 'http://127.0.0.1:1' }))).toContain(
      'cannot be combined',
    );
  });

  it('refuses an endpoint that is not a URL', () => {
    expect(usageMessage(() => targetFrom({ endpoint: 'localhost:4010' }))).toContain('--endpoint must be');
  });

  it('refuses a malformed region', () => {
    expect(usageMessage(() => targetFrom({ region: 'US East' }))).toContain(
      '--region must look like us-east-1',
    );
  });
});
