import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { RUNTIME_NAMES } from '#contracts/fields.ts';
import { detailJsonSchemas } from '#contracts/json-schema.ts';
import {
  DETAIL_TYPES,
  FAILURE_CODES,
  KINDS,
  kebabDetailType,
  ORPHAN_REASONS,
  RECOVERY_CAUSES,
  RECOVERY_MODES,
  RESTART_FAILURE_CODES,
  WORKSPACE_STATES,
} from '#contracts/names.ts';
import { DETAIL_SCHEMAS } from '#contracts/registry.ts';

const schemasDir = join(import.meta.dirname, '..', '..', '..', 'schemas');

describe('generated JSON Schemas', () => {
  it('are committed and not stale (run `npm run schemas` after changing a contract)', async () => {
    const committed = (await readdir(schemasDir)).filter((file) => file.endsWith('.json')).sort();
    const generated = detailJsonSchemas();
    expect(committed).toEqual(generated.map((document) => document.fileName).sort());
    for (const { fileName, schema } of generated) {
      const onDisk = await readFile(join(schemasDir, fileName), 'utf8');
      expect(onDisk, `schemas/${fileName} is stale`).toBe(`${JSON.stringify(schema, null, 2)}\n`);
    }
  });

  it('publish one draft 2020-12 schema per public detail-type, named in kebab case', () => {
    const generated = detailJsonSchemas();
    expect(generated.map((document) => document.detailType).sort()).toEqual(
      Object.values(DETAIL_TYPES).sort(),
    );
    for (const document of generated) {
      expect(document.schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(document.fileName).toBe(`${kebabDetailType(document.detailType)}.json`);
    }
    expect(kebabDetailType('Workspace Provision Requested')).toBe('workspace-provision-requested');
  });

  it('compile under strict Ajv 2020', () => {
    const ajv = new Ajv2020({ strict: true });
    ajv.addKeyword({ keyword: 'x-maxTotalBytes', schemaType: 'number' });
    for (const { schema } of detailJsonSchemas()) expect(() => ajv.compile(schema)).not.toThrow();
  });

  it('carry the kind, runtime and failure-code enums of the contract', () => {
    const byType = Object.fromEntries(
      detailJsonSchemas().map((document) => [document.detailType, document.schema]),
    );
    const properties = (type: string) =>
      (byType[type] as { properties: Record<string, { enum?: unknown[] }> }).properties;
    expect(properties(DETAIL_TYPES.provisionRequested).kind?.enum).toEqual([...KINDS]);
    expect(properties(DETAIL_TYPES.provisionRequested).runtime?.enum).toEqual([...RUNTIME_NAMES]);
    expect(properties(DETAIL_TYPES.provisionFailed).code?.enum).toEqual([...FAILURE_CODES]);
  });

  it('v1.2: carry the recovery, state, restart-failure and orphan-reason enums of the contract', () => {
    const byType = Object.fromEntries(
      detailJsonSchemas().map((document) => [document.detailType, document.schema]),
    );
    const properties = (type: string) =>
      (byType[type] as { properties: Record<string, { enum?: unknown[] }> }).properties;
    expect(properties(DETAIL_TYPES.provisionRequested).recovery?.enum).toEqual([...RECOVERY_MODES]);
    expect(properties(DETAIL_TYPES.recovering).cause?.enum).toEqual([...RECOVERY_CAUSES]);
    expect(properties(DETAIL_TYPES.recoveryAbandoned).cause?.enum).toEqual([...RECOVERY_CAUSES]);
    expect(properties(DETAIL_TYPES.status).state?.enum).toEqual([...WORKSPACE_STATES]);
    expect(properties(DETAIL_TYPES.restartFailed).code?.enum).toEqual([...RESTART_FAILURE_CODES]);
    expect(properties(DETAIL_TYPES.orphanTaskStopped).reason?.enum).toEqual([...ORPHAN_REASONS]);
  });
});

describe('outbound contracts', () => {
  const ajv = new Ajv2020({ strict: true });
  ajv.addKeyword({ keyword: 'x-maxTotalBytes', schemaType: 'number' });
  const validators = new Map(
    detailJsonSchemas().map((document) => [document.detailType, ajv.compile(document.schema)]),
  );
  const jsonSchemaAccepts = (detailType: string, sample: unknown): boolean => {
    const validate = validators.get(detailType);
    if (!validate) throw new Error(`no JSON Schema for ${detailType}`);
    return validate(sample);
  };
  const samples: Record<string, unknown> = {
    [DETAIL_TYPES.taskLaunched]: {
      requestId: 'r1',
      workspaceId: 'ws1',
      orgId: 'o1',
      runtime: 'codex',
      kind: 'platform',
      tier: 2,
      image: 'ghcr.io/molecule-ai/workspace-template-codex:latest',
      taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/workspaces/abc',
      clusterArn: 'arn:aws:ecs:us-east-1:000000000000:cluster/workspaces',
      cpu: 512,
      memory: 1024,
    },
    [DETAIL_TYPES.provisionFailed]: { workspaceId: 'ws1', code: 'THROTTLED', reason: 'x', retryable: true },
    [DETAIL_TYPES.provisionRejected]: {
      rejectedEventId: 'e1',
      rejectedDetailType: DETAIL_TYPES.provisionRequested,
      errors: [{ path: 'runtime', message: 'runtime must be one of ...' }],
    },
    [DETAIL_TYPES.running]: {
      workspaceId: 'ws1',
      taskArn: 't',
      runtime: 'codex',
      kind: 'workspace',
      version: 3,
    },
    [DETAIL_TYPES.stopped]: {
      workspaceId: 'ws1',
      taskArn: 't',
      stopCode: 'UserInitiated',
      exitCode: 0,
      version: 5,
    },
    [DETAIL_TYPES.deprovisioned]: { requestId: 'r2', workspaceId: 'ws1', taskArns: [] },
    [DETAIL_TYPES.recovering]: {
      workspaceId: 'ws1',
      cause: 'crashed',
      attempt: 1,
      previousTaskArn: 'arn:aws:ecs:us-east-1:000000000000:task/workspaces/abc',
      requestId: 'r1',
      kind: 'workspace',
      backoffSeconds: 10,
    },
    [DETAIL_TYPES.recoveryAbandoned]: {
      workspaceId: 'ws1',
      cause: 'out-of-memory',
      attempts: 5,
      requestId: 'r1',
      kind: 'platform',
    },
    [DETAIL_TYPES.status]: {
      requestId: 's1',
      workspaceId: 'ws1',
      state: 'running',
      taskArn: 't',
      url: 'http://10.0.1.7:8080',
      since: new Date(Date.UTC(2026, 10, 30, 12)).toISOString(),
      kind: 'workspace',
      runtime: 'codex',
    },
    [DETAIL_TYPES.restartFailed]: {
      requestId: 'rst1',
      workspaceId: 'ws1',
      code: 'WORKSPACE_UNKNOWN',
      reason: 'x',
    },
    [DETAIL_TYPES.orphanTaskStopped]: { workspaceId: 'ws1', taskArn: 't', reason: 'deprovisioned' },
    [DETAIL_TYPES.dataSaved]: {
      workspaceId: 'ws1',
      snapshotId: 'snap-0123456789abcdef0',
      sizeGiB: 20,
      taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/workspaces/abc',
      orgId: 'o1',
      kind: 'workspace',
    },
    [DETAIL_TYPES.dataSaveFailed]: {
      workspaceId: 'ws1',
      volumeId: 'vol-0123456789abcdef0',
      reason: 'the snapshot failed',
    },
    [DETAIL_TYPES.dataErased]: {
      workspaceId: 'ws1',
      snapshotIds: ['snap-1', 'snap-2'],
      volumeIds: [],
      requestId: 'd1',
      kind: 'platform',
    },
  };

  it.each(Object.entries(samples))('accepts a valid %s in zod and JSON Schema', (detailType, sample) => {
    expect(DETAIL_SCHEMAS[detailType as keyof typeof DETAIL_SCHEMAS].safeParse(sample).success).toBe(true);
    expect(jsonSchemaAccepts(detailType, sample)).toBe(true);
  });

  it.each([
    ['a Recovering cause that is not a recovery cause', DETAIL_TYPES.recovering, 'cause', 'requested'],
    ['a Recovering attempt of 0', DETAIL_TYPES.recovering, 'attempt', 0],
    ['a Status state outside the states', DETAIL_TYPES.status, 'state', 'sleeping'],
    ['a Status since that is not an ISO-8601 UTC time', DETAIL_TYPES.status, 'since', '30/11/2026'],
    ['an unknown Restart Failed code', DETAIL_TYPES.restartFailed, 'code', 'OOPS'],
    ['an unknown Orphan Task Stopped reason', DETAIL_TYPES.orphanTaskStopped, 'reason', 'idle'],
  ])('v1.2: refuses %s in zod and JSON Schema', (_name, detailType, field, value) => {
    const sample = { ...(samples[detailType] as Record<string, unknown>), [field]: value };
    expect(DETAIL_SCHEMAS[detailType as keyof typeof DETAIL_SCHEMAS].safeParse(sample).success).toBe(false);
    expect(jsonSchemaAccepts(detailType, sample)).toBe(false);
  });

  it('v1.3: accepts a Task Launched with its data volume, and the data failure codes', () => {
    const launched = {
      ...(samples[DETAIL_TYPES.taskLaunched] as Record<string, unknown>),
      storage: { persistent: true, sizeGiB: 20, path: '/workspace', restoredFrom: 'snap-1' },
    };
    expect(DETAIL_SCHEMAS[DETAIL_TYPES.taskLaunched].safeParse(launched).success).toBe(true);
    expect(jsonSchemaAccepts(DETAIL_TYPES.taskLaunched, launched)).toBe(true);
    for (const code of ['DATA_SAVE_PENDING', 'DATA_SAVE_FAILED']) {
      const failed = { workspaceId: 'ws1', code, reason: 'x', retryable: false };
      expect(DETAIL_SCHEMAS[DETAIL_TYPES.provisionFailed].safeParse(failed).success).toBe(true);
      expect(jsonSchemaAccepts(DETAIL_TYPES.provisionFailed, failed)).toBe(true);
    }
  });

  it.each([
    ['a Data Saved without its snapshot', DETAIL_TYPES.dataSaved, 'snapshotId', undefined],
    ['a Data Saved size of 0', DETAIL_TYPES.dataSaved, 'sizeGiB', 0],
    ['a Data Save Failed without its volume', DETAIL_TYPES.dataSaveFailed, 'volumeId', undefined],
    ['a Data Erased whose snapshotIds is not a list', DETAIL_TYPES.dataErased, 'snapshotIds', 'snap-1'],
  ])('v1.3: refuses %s in zod and JSON Schema', (_name, detailType, field, value) => {
    const sample: Record<string, unknown> = { ...(samples[detailType] as Record<string, unknown>) };
    if (value === undefined) delete sample[field];
    else sample[field] = value;
    expect(DETAIL_SCHEMAS[detailType as keyof typeof DETAIL_SCHEMAS].safeParse(sample).success).toBe(false);
    expect(jsonSchemaAccepts(detailType, sample)).toBe(false);
  });

  it('refuses an unknown failure code in zod and JSON Schema', () => {
    const sample = { workspaceId: 'ws1', code: 'OOPS', reason: 'x', retryable: false };
    expect(DETAIL_SCHEMAS[DETAIL_TYPES.provisionFailed].safeParse(sample).success).toBe(false);
    expect(jsonSchemaAccepts(DETAIL_TYPES.provisionFailed, sample)).toBe(false);
  });
});

describe('v1.3 inbound storage and erase', () => {
  const ajv = new Ajv2020({ strict: true });
  ajv.addKeyword({ keyword: 'x-maxTotalBytes', schemaType: 'number' });
  const schemas = new Map(detailJsonSchemas().map((document) => [document.detailType, document.schema]));
  const provisionSchema = ajv.compile(schemas.get(DETAIL_TYPES.provisionRequested) as object);
  const deprovisionSchema = ajv.compile(schemas.get(DETAIL_TYPES.deprovisionRequested) as object);
  const provision = (storage: unknown) => ({
    requestId: 'r1',
    workspaceId: 'ws1',
    orgId: 'o1',
    runtime: 'codex',
    storage,
  });

  // Each row: a `storage` value, and whether the contract takes it (zod and JSON Schema agree).
  it.each([
    [{ persistent: true }, true],
    [{ persistent: true, sizeGiB: 1 }, true],
    [{ persistent: true, sizeGiB: 16_384 }, true],
    [{ persistent: false }, true],
    [{ persistent: true, sizeGiB: 0 }, false],
    [{ persistent: true, sizeGiB: 16_385 }, false],
    [{ persistent: true, sizeGiB: 2.5 }, false],
    [{ persistent: false, sizeGiB: 10 }, false],
    [{ persistent: 'yes' }, false],
    [{ sizeGiB: 10 }, false],
    [{ persistent: true, size: 10 }, false],
    ['persistent', false],
  ])('storage %j: accepted %s', (storage, accepted) => {
    const zodResult = DETAIL_SCHEMAS[DETAIL_TYPES.provisionRequested].safeParse(provision(storage));
    expect(zodResult.success).toBe(accepted);
    expect(provisionSchema(provision(storage))).toBe(accepted);
  });

  it('names the field in the message of a refused storage', () => {
    const result = DETAIL_SCHEMAS[DETAIL_TYPES.provisionRequested].safeParse(
      provision({ persistent: false, sizeGiB: 10 }),
    );
    expect(result.error?.issues.map((issue) => [issue.path.join('.'), issue.message])).toEqual([
      ['storage.sizeGiB', 'storage.sizeGiB applies only to persistent storage ("persistent": true)'],
    ]);
  });

  it.each([
    [true, true],
    [false, true],
    ['yes', false],
  ])('erase %j: accepted %s', (erase, accepted) => {
    const detail = { requestId: 'd1', workspaceId: 'ws1', erase };
    expect(DETAIL_SCHEMAS[DETAIL_TYPES.deprovisionRequested].safeParse(detail).success).toBe(accepted);
    expect(deprovisionSchema(detail)).toBe(accepted);
  });
});
