import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { RUNTIME_NAMES } from '#contracts/fields.ts';
import { detailJsonSchemas } from '#contracts/json-schema.ts';
import { DETAIL_TYPES, FAILURE_CODES, KINDS, kebabDetailType } from '#contracts/names.ts';
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
  };

  it.each(Object.entries(samples))('accepts a valid %s in zod and JSON Schema', (detailType, sample) => {
    expect(DETAIL_SCHEMAS[detailType as keyof typeof DETAIL_SCHEMAS].safeParse(sample).success).toBe(true);
    expect(jsonSchemaAccepts(detailType, sample)).toBe(true);
  });

  it('refuses an unknown failure code in zod and JSON Schema', () => {
    const sample = { workspaceId: 'ws1', code: 'OOPS', reason: 'x', retryable: false };
    expect(DETAIL_SCHEMAS[DETAIL_TYPES.provisionFailed].safeParse(sample).success).toBe(false);
    expect(jsonSchemaAccepts(DETAIL_TYPES.provisionFailed, sample)).toBe(false);
  });
});
