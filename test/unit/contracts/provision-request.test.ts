import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { envTotalBytes } from '#contracts/fields.ts';
import { DeprovisionRequestedDetail, ProvisionRequestedDetail } from '#contracts/inbound.ts';
import { detailJsonSchemas } from '#contracts/json-schema.ts';
import { DEFAULT_RECOVERY, DETAIL_TYPES } from '#contracts/names.ts';

/**
 * Every CONTRACT.md inbound rule, broken one way at a time, must be refused by the zod contract AND
 * by the published JSON Schema; the valid requests must pass both.
 */

const ajv = new Ajv2020({ allErrors: true, strict: true });
ajv.addKeyword({
  keyword: 'x-maxTotalBytes',
  type: 'object',
  schemaType: 'number',
  validate: (limit: number, data: Record<string, unknown>) =>
    envTotalBytes(Object.fromEntries(Object.entries(data).map(([k, v]) => [k, String(v)]))) <= limit,
});
const schemaFor = (detailType: string) => {
  const document = detailJsonSchemas().find((candidate) => candidate.detailType === detailType);
  if (!document) throw new Error(`no JSON Schema for ${detailType}`);
  return ajv.compile(document.schema);
};
const validateProvisionJson = schemaFor(DETAIL_TYPES.provisionRequested);
const validateDeprovisionJson = schemaFor(DETAIL_TYPES.deprovisionRequested);

const valid = {
  requestId: 'req-1',
  workspaceId: '3f1c2a9e-7a4d-4c1e-9b1a-0d2c5e6f7a8b',
  orgId: 'org_42',
  runtime: 'claude-code',
};

const bigEnv = (count: number, valueLength: number) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => [`VAR_${i}`, 'x'.repeat(valueLength)]));

const accepted: ReadonlyArray<[string, Record<string, unknown>]> = [
  ['the minimal request', valid],
  [
    'a platform request with every optional field',
    { ...valid, kind: 'platform', tier: 4, template: 'platform-agent', env: { LOG_LEVEL: 'debug' } },
  ],
  ['a requestId with every allowed punctuation', { ...valid, requestId: 'a.b_c:d-e' }],
  [
    '64-character ids',
    { ...valid, requestId: 'r'.repeat(64), workspaceId: 'w'.repeat(64), orgId: 'o'.repeat(64) },
  ],
  ['tier 1', { ...valid, tier: 1 }],
  ['each catalog runtime: codex', { ...valid, runtime: 'codex' }],
  ['each catalog runtime: hermes', { ...valid, runtime: 'hermes' }],
  ['each catalog runtime: openclaw', { ...valid, runtime: 'openclaw' }],
  ['50 env entries', { ...valid, env: bigEnv(50, 10) }],
  ['env of exactly 4 KiB', { ...valid, env: { A: 'x'.repeat(4095) } }],
  ['an env name that only contains a reserved word', { ...valid, env: { MY_AWS_REGION: 'x', TIERED: 'y' } }],
  ['an empty env', { ...valid, env: {} }],
  ['v1.1: a workspace with org and workspace secrets', { ...valid, secrets: ['org', 'workspace'] }],
  [
    'v1.1: a platform request with every secrets scope',
    { ...valid, kind: 'platform', secrets: ['org', 'platform', 'workspace'] },
  ],
  ['v1.1: an empty secrets list', { ...valid, secrets: [] }],
  ['v1.2: recovery on-failure', { ...valid, recovery: 'on-failure' }],
  ['v1.2: recovery never', { ...valid, recovery: 'never' }],
  [
    'v1.1: env names whose secret-like letters are not a whole word',
    { ...valid, env: { KEYBOARD_LAYOUT: 'us', MONKEY: '1', TOKENIZER: 'x' } },
  ],
];

/** [rule, request, the field the zod message names] */
const rejected: ReadonlyArray<[string, unknown, string]> = [
  ['requestId is required', { ...valid, requestId: undefined }, 'requestId'],
  ['requestId is not empty', { ...valid, requestId: '' }, 'requestId'],
  ['requestId is at most 64 characters', { ...valid, requestId: 'r'.repeat(65) }, 'requestId'],
  ['requestId refuses a slash', { ...valid, requestId: 'a/b' }, 'requestId'],
  ['requestId refuses a space', { ...valid, requestId: 'a b' }, 'requestId'],
  ['requestId must be a string', { ...valid, requestId: 42 }, 'requestId'],
  ['workspaceId is required', { ...valid, workspaceId: undefined }, 'workspaceId'],
  ['workspaceId is not empty', { ...valid, workspaceId: '' }, 'workspaceId'],
  ['workspaceId is at most 64 characters', { ...valid, workspaceId: 'w'.repeat(65) }, 'workspaceId'],
  ['workspaceId refuses a dot', { ...valid, workspaceId: 'ws.1' }, 'workspaceId'],
  ['workspaceId refuses a colon', { ...valid, workspaceId: 'ws:1' }, 'workspaceId'],
  ['orgId is required', { ...valid, orgId: undefined }, 'orgId'],
  ['orgId is not empty', { ...valid, orgId: '' }, 'orgId'],
  ['orgId is at most 64 characters', { ...valid, orgId: 'o'.repeat(65) }, 'orgId'],
  ['orgId refuses shell characters', { ...valid, orgId: 'org;rm -rf' }, 'orgId'],
  ['runtime is required', { ...valid, runtime: undefined }, 'runtime'],
  ['an unknown runtime is refused, never defaulted', { ...valid, runtime: 'gpt-engineer' }, 'runtime'],
  ['runtime is case-sensitive', { ...valid, runtime: 'Claude-Code' }, 'runtime'],
  ['kind is workspace or platform', { ...valid, kind: 'admin' }, 'kind'],
  ['kind may not be null', { ...valid, kind: null }, 'kind'],
  ['tier is at least 1', { ...valid, tier: 0 }, 'tier'],
  ['tier is at most 4', { ...valid, tier: 5 }, 'tier'],
  ['tier is an integer', { ...valid, tier: 2.5 }, 'tier'],
  ['tier is a number, not a string', { ...valid, tier: '2' }, 'tier'],
  ['template is not empty', { ...valid, template: '' }, 'template'],
  ['template is lower case', { ...valid, template: 'Platform-Agent' }, 'template'],
  ['template is at most 64 characters', { ...valid, template: 't'.repeat(65) }, 'template'],
  ['template refuses path traversal', { ...valid, template: '../etc' }, 'template'],
  ['env is an object', { ...valid, env: ['A=1'] }, 'env'],
  ['env values are strings', { ...valid, env: { COUNT: 3 } }, 'env'],
  ['env names are upper case', { ...valid, env: { lower: 'x' } }, 'env'],
  ['env names start with a letter', { ...valid, env: { _X: 'x' } }, 'env'],
  ['env names refuse injection-looking text', { ...valid, env: { 'A;B': 'x' } }, 'env'],
  ['env refuses WORKSPACE_ID', { ...valid, env: { WORKSPACE_ID: 'other' } }, 'env'],
  ['env refuses ORG_ID', { ...valid, env: { ORG_ID: 'other' } }, 'env'],
  ['env refuses WORKSPACE_KIND', { ...valid, env: { WORKSPACE_KIND: 'platform' } }, 'env'],
  ['env refuses WORKSPACE_RUNTIME', { ...valid, env: { WORKSPACE_RUNTIME: 'x' } }, 'env'],
  ['env refuses TIER', { ...valid, env: { TIER: '4' } }, 'env'],
  ['env refuses the AWS_ prefix', { ...valid, env: { AWS_SECRET_ACCESS_KEY: 'x' } }, 'env'],
  ['env refuses the ECS_ prefix', { ...valid, env: { ECS_ENABLE_CONTAINER_METADATA: 'true' } }, 'env'],
  ['env has at most 50 entries', { ...valid, env: bigEnv(51, 1) }, 'env'],
  ['env is at most 4 KiB in all', { ...valid, env: { A: 'x'.repeat(4096) } }, 'env'],
  ['env size counts UTF-8 bytes', { ...valid, env: { A: 'é'.repeat(2048) } }, 'env'],
  ['v1.1: env refuses a secret-looking name', { ...valid, env: { MODEL_API_KEY: 'x' } }, 'secrets'],
  ['v1.1: secrets is an array', { ...valid, secrets: 'org' }, 'secrets'],
  ['v1.1: secrets scopes are org, workspace, platform', { ...valid, secrets: ['team'] }, 'secrets'],
  ['v1.1: secrets lists each scope once', { ...valid, secrets: ['org', 'org'] }, 'secrets'],
  [
    'v1.1: platform secrets are refused for kind workspace',
    { ...valid, kind: 'workspace', secrets: ['platform'] },
    'secrets',
  ],
  [
    'v1.1: platform secrets are refused for the default kind',
    { ...valid, secrets: ['org', 'platform'] },
    'secrets',
  ],
  ['v1.2: recovery is on-failure or never', { ...valid, recovery: 'always' }, 'recovery'],
  ['v1.2: recovery is a string, not a boolean', { ...valid, recovery: false }, 'recovery'],
  ['unknown fields are refused', { ...valid, runtme: 'codex' }, 'runtme'],
  ['the detail is an object', 'not-an-object', 'detail'],
];

describe('Workspace Provision Requested contract', () => {
  it.each(accepted)('accepts %s in zod and JSON Schema', (_name, request) => {
    expect(ProvisionRequestedDetail.safeParse(request).success).toBe(true);
    expect(validateProvisionJson(request), JSON.stringify(validateProvisionJson.errors)).toBe(true);
  });

  it.each(rejected)(
    'refuses when the rule "%s" is broken, in zod and JSON Schema',
    (_name, request, field) => {
      // Over the wire, as a publisher sends it: undefined fields are simply absent.
      const wire: unknown = JSON.parse(JSON.stringify(request));
      const parsed = ProvisionRequestedDetail.safeParse(wire);
      expect(parsed.success).toBe(false);
      const text =
        parsed.error?.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`).join('\n') ?? '';
      expect(text).toContain(field);
      expect(validateProvisionJson(wire)).toBe(false);
    },
  );

  it('names a refused env name in the message, at the path of that name', () => {
    const parsed = ProvisionRequestedDetail.safeParse({ ...valid, env: { AWS_REGION: 'x' } });
    expect(parsed.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['env.AWS_REGION', expect.stringContaining('env name "AWS_REGION" is not allowed')],
    ]);
  });

  it('v1.1: refuses platform secrets on a workspace at the path secrets, naming the kind', () => {
    const parsed = ProvisionRequestedDetail.safeParse({ ...valid, secrets: ['platform'] });
    expect(parsed.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['secrets', expect.stringContaining('for kind platform only')],
    ]);
  });

  it('applies the defaults kind=workspace and tier=2', () => {
    const parsed = ProvisionRequestedDetail.parse(valid);
    expect(parsed.kind).toBe('workspace');
    expect(parsed.tier).toBe(2);
  });

  it('v1.2: applies the default recovery=on-failure, so a replay is the same request however spelled', () => {
    expect(ProvisionRequestedDetail.parse(valid).recovery).toBe(DEFAULT_RECOVERY);
    expect(DEFAULT_RECOVERY).toBe('on-failure');
    expect(ProvisionRequestedDetail.parse(valid)).toEqual(
      ProvisionRequestedDetail.parse({ ...valid, recovery: 'on-failure' }),
    );
    expect(ProvisionRequestedDetail.parse({ ...valid, recovery: 'never' }).recovery).toBe('never');
  });
});

describe('Workspace Deprovision Requested contract', () => {
  const deprovision = { requestId: 'req-2', workspaceId: 'ws-1' };
  it('accepts a request with and without a reason', () => {
    for (const request of [deprovision, { ...deprovision, reason: 'r'.repeat(256) }]) {
      expect(DeprovisionRequestedDetail.safeParse(request).success).toBe(true);
      expect(validateDeprovisionJson(request)).toBe(true);
    }
  });

  it.each([
    ['requestId is required', { workspaceId: 'ws-1' }],
    ['requestId keeps its charset', { ...deprovision, requestId: 'a b' }],
    ['workspaceId is required', { requestId: 'req-2' }],
    ['workspaceId keeps its charset', { ...deprovision, workspaceId: 'ws/1' }],
    ['reason is at most 256 characters', { ...deprovision, reason: 'r'.repeat(257) }],
    ['reason is a string', { ...deprovision, reason: 7 }],
    ['unknown fields are refused', { ...deprovision, force: true }],
  ])('refuses when the rule "%s" is broken, in zod and JSON Schema', (_name, request) => {
    expect(DeprovisionRequestedDetail.safeParse(request).success).toBe(false);
    expect(validateDeprovisionJson(request)).toBe(false);
  });
});
