/**
 * The CLI's endpoint from the environment (issue 10, finding 8): `--endpoint` > `WORKSPACES_ENDPOINT`
 * > `AWS_ENDPOINT_URL` (the SDK's standard variable for every service) > the default, and a bad value
 * names where it came from.
 */
import { describe, expect, it } from 'vitest';
import { UsageError } from '#local/cli/errors.ts';
import { runCli } from '#local/cli/main.ts';
import { DEFAULT_ENDPOINT, targetFrom } from '#local/cli/target.ts';

const FLAG = 'http://127.0.0.1:1111';
const OURS = 'http://127.0.0.1:2222';
const STANDARD = 'http://127.0.0.1:3333';

const PRECEDENCE: ReadonlyArray<
  readonly [string, { endpoint?: string }, Record<string, string | undefined>, string]
> = [
  [
    '--endpoint over both variables',
    { endpoint: FLAG },
    { WORKSPACES_ENDPOINT: OURS, AWS_ENDPOINT_URL: STANDARD },
    FLAG,
  ],
  [
    'WORKSPACES_ENDPOINT over AWS_ENDPOINT_URL',
    {},
    { WORKSPACES_ENDPOINT: OURS, AWS_ENDPOINT_URL: STANDARD },
    OURS,
  ],
  ['WORKSPACES_ENDPOINT alone', {}, { WORKSPACES_ENDPOINT: OURS }, OURS],
  ['AWS_ENDPOINT_URL alone', {}, { AWS_ENDPOINT_URL: STANDARD }, STANDARD],
  [
    'an empty WORKSPACES_ENDPOINT counts as unset',
    {},
    { WORKSPACES_ENDPOINT: '', AWS_ENDPOINT_URL: STANDARD },
    STANDARD,
  ],
  ['a blank AWS_ENDPOINT_URL counts as unset', {}, { AWS_ENDPOINT_URL: '  ' }, DEFAULT_ENDPOINT],
  ['surrounding spaces are trimmed', {}, { WORKSPACES_ENDPOINT: ` ${OURS}/ ` }, OURS],
  ['the default without either', {}, {}, DEFAULT_ENDPOINT],
];

const usageMessage = (fn: () => unknown): string => {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return error.message;
    throw error;
  }
  throw new Error('expected a UsageError');
};

describe("the CLI's endpoint", () => {
  it.each(PRECEDENCE)('takes %s', (_name, flags, env, endpoint) => {
    expect(targetFrom(flags, env)).toEqual({ kind: 'local', endpoint, region: 'us-east-1' });
  });

  it.each([
    ['--endpoint', { endpoint: 'localhost:4010' }, { WORKSPACES_ENDPOINT: OURS }],
    ['WORKSPACES_ENDPOINT', {}, { WORKSPACES_ENDPOINT: 'localhost:4010', AWS_ENDPOINT_URL: STANDARD }],
    ['AWS_ENDPOINT_URL', {}, { AWS_ENDPOINT_URL: 'ftp://127.0.0.1:4010' }],
  ])('names %s when its value is not an http(s) URL', (source, flags, env) => {
    const message = usageMessage(() => targetFrom(flags, env));
    expect(message.startsWith(`${source} must be`)).toBe(true);
  });

  it('leaves the variables to the SDK with --aws', () => {
    expect(targetFrom({ aws: true }, { WORKSPACES_ENDPOINT: 'not a url' })).toEqual({ kind: 'aws' });
  });

  it('reads the environment it is given when run, and exits 2 on a bad value', async () => {
    const stderr: string[] = [];
    const code = await runCli(['events'], {
      stdout: () => {},
      stderr: (line) => stderr.push(line),
      env: { WORKSPACES_ENDPOINT: 'localhost:4010' },
    });
    expect(code).toBe(2);
    expect(stderr[0]).toBe(
      'workspaces: WORKSPACES_ENDPOINT must be an http:// or https:// URL; got "localhost:4010"',
    );
  });
});
