import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCatalog } from '#config/catalog.ts';
import {
  assetChannelRoute,
  InvalidAssetsRequestError,
  InvalidDestinationError,
  parseDestination,
  readAssetsRequest,
  readTemplateFiles,
  templateDirectory,
  UnknownTemplateError,
} from '#local/asset-channel/index.ts';
import { isUpstreamRoute, localRoutes } from '#local/routing/routes.ts';

describe('the destination of a template assets request', () => {
  it('reads the bucket and the prefix of an s3:// URI', () => {
    expect(parseDestination('s3://workspace-files/staged/org-1/ws-1/req-1/')).toEqual({
      bucket: 'workspace-files',
      prefix: 'staged/org-1/ws-1/req-1/',
    });
  });

  it.each([
    'https://workspace-files/staged/x/',
    's3://workspace-files/staged/x',
    's3://workspace-files/',
    's3://Bad_Bucket/staged/x/',
  ])('refuses %s', (uri) => {
    expect(() => parseDestination(uri)).toThrow(InvalidDestinationError);
  });
});

describe('reading a Template Assets Requested detail', () => {
  const detail = {
    requestId: 'r-1',
    workspaceId: 'ws-1',
    orgId: 'org-1',
    kind: 'platform',
    template: 'platform-agent',
    paths: [],
    destination: 's3://workspace-files/staged/org-1/ws-1/r-1/',
  };

  it('takes the fields the channel acts on', () => {
    expect(readAssetsRequest(detail)).toEqual({
      requestId: 'r-1',
      workspaceId: 'ws-1',
      template: 'platform-agent',
      destination: { bucket: 'workspace-files', prefix: 'staged/org-1/ws-1/r-1/' },
    });
  });

  it.each(['requestId', 'workspaceId', 'template', 'destination'])('refuses a detail without %s', (field) => {
    const { [field as keyof typeof detail]: _left, ...rest } = detail;
    expect(() => readAssetsRequest(rest)).toThrow(InvalidAssetsRequestError);
  });
});

describe('template files', () => {
  it('finds the shipped platform-agent template with the paths its overlay requires', async () => {
    const files = await readTemplateFiles(await templateDirectory('platform-agent'));
    expect(files.map((file) => file.path)).toEqual(['config.yaml', 'prompts/concierge.md']);
  });

  it.each(['../config', 'Platform', 'no-such-template', ''])('refuses the template %j', async (name) => {
    await expect(templateDirectory(name)).rejects.toBeInstanceOf(UnknownTemplateError);
  });

  it('reads regular files only, with /-separated relative paths: a link cannot reach outside', async () => {
    const root = mkdtempSync(join(tmpdir(), 'template-'));
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    writeFileSync(join(root, 'a', 'b', 'c.md'), 'c');
    writeFileSync(join(root, 'top.yaml'), 't');
    symlinkSync('/etc/hostname', join(root, 'linked'));
    const files = await readTemplateFiles(root);
    expect(files.map((file) => [file.path, file.content.toString()])).toEqual([
      ['a/b/c.md', 'c'],
      ['top.yaml', 't'],
    ]);
  });
});

describe("the stand-in's route", () => {
  it('hears the provisioner asking for template assets, on the stack bus, outside the wiring table', () => {
    const route = assetChannelRoute();
    expect(route).toMatchObject({
      bus: 'workspaces',
      pattern: { source: ['platform.provisioner'], 'detail-type': ['Workspace Template Assets Requested'] },
      deadLetterQueue: false,
    });
    expect(isUpstreamRoute(route)).toBe(true);
    const wiring = localRoutes({ region: 'us-east-1', catalog: loadCatalog() });
    expect(wiring.some(isUpstreamRoute)).toBe(false);
    expect(wiring.map((candidate) => candidate.id)).not.toContain(route.id);
  });
});
