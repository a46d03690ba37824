import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { RestartRequestedDetail, StatusRequestedDetail } from '#contracts/inbound.ts';
import { detailJsonSchemas } from '#contracts/json-schema.ts';
import { DETAIL_TYPES } from '#contracts/names.ts';

/**
 * v1.2: the inbound lifecycle requests (restart, status) are strict like Deprovision Requested:
 * each rule broken one way at a time is refused by zod AND by the published JSON Schema.
 */

const ajv = new Ajv2020({ allErrors: true, strict: true });
ajv.addKeyword({ keyword: 'x-maxTotalBytes', schemaType: 'number' });
const schemaFor = (detailType: string) => {
  const document = detailJsonSchemas().find((candidate) => candidate.detailType === detailType);
  if (!document) throw new Error(`no JSON Schema for ${detailType}`);
  return ajv.compile(document.schema);
};

describe('Workspace Restart Requested contract', () => {
  const validateJson = schemaFor(DETAIL_TYPES.restartRequested);
  const restart = { requestId: 'rst-1', workspaceId: 'ws-1' };

  it('accepts a request with and without a reason', () => {
    for (const request of [restart, { ...restart, reason: 'r'.repeat(256) }]) {
      expect(RestartRequestedDetail.safeParse(request).success).toBe(true);
      expect(validateJson(request), JSON.stringify(validateJson.errors)).toBe(true);
    }
  });

  it.each([
    ['requestId is required', { workspaceId: 'ws-1' }],
    ['requestId keeps its charset', { ...restart, requestId: 'a b' }],
    ['requestId is at most 64 characters', { ...restart, requestId: 'r'.repeat(65) }],
    ['workspaceId is required', { requestId: 'rst-1' }],
    ['workspaceId keeps its charset', { ...restart, workspaceId: 'ws/1' }],
    ['reason is at most 256 characters', { ...restart, reason: 'r'.repeat(257) }],
    ['reason is a string', { ...restart, reason: 7 }],
    ['unknown fields are refused (a restart never carries a new request)', { ...restart, runtime: 'codex' }],
    ['the detail is an object', 'restart'],
  ])('refuses when the rule "%s" is broken, in zod and JSON Schema', (_name, request) => {
    expect(RestartRequestedDetail.safeParse(request).success).toBe(false);
    expect(validateJson(request)).toBe(false);
  });
});

describe('Workspace Status Requested contract', () => {
  const validateJson = schemaFor(DETAIL_TYPES.statusRequested);
  const status = { requestId: 'st-1', workspaceId: 'ws-1' };

  it('accepts a request with both ids', () => {
    expect(StatusRequestedDetail.safeParse(status).success).toBe(true);
    expect(validateJson(status)).toBe(true);
  });

  it.each([
    ['requestId is required', { workspaceId: 'ws-1' }],
    ['workspaceId is required', { requestId: 'st-1' }],
    ['workspaceId keeps its charset', { ...status, workspaceId: 'ws 1' }],
    ['unknown fields are refused', { ...status, reason: 'why' }],
  ])('refuses when the rule "%s" is broken, in zod and JSON Schema', (_name, request) => {
    expect(StatusRequestedDetail.safeParse(request).success).toBe(false);
    expect(validateJson(request)).toBe(false);
  });
});
