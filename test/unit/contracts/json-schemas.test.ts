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

  it('refuses an unknown failure code in zod and JSON Schema', () => {
    const sample = { workspaceId: 'ws1', code: 'OOPS', reason: 'x', retryable: false };
    expect(DETAIL_SCHEMAS[DETAIL_TYPES.provisionFailed].safeParse(sample).success).toBe(false);
    expect(jsonSchemaAccepts(DETAIL_TYPES.provisionFailed, sample)).toBe(false);
  });
});
