import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_EVENT_BUS_NAME,
  DEFAULT_PROVISIONER_SOURCE,
  DEFAULT_REQUEST_SOURCE,
  DEFAULT_WORKSPACE_FILES_BUCKET,
  DETAIL_TYPES,
} from '#contracts/names.ts';
import { s3Uri, stagedPrefix } from '#core/workspace-files.ts';
import { ASSET_CHANNEL_TARGET, TEMPLATES_DIR } from '#local/asset-channel/index.ts';
import { LOCAL_ACCOUNT, localClientConfig } from '#local/clients.ts';
import { waitForEvents } from '#local/stack.ts';
import { about, settled, startTestStack, type TestStack, uniqueId } from './helpers.ts';

/**
 * The asset channel stand-in against a real stack: a `Workspace Template Assets Requested` event
 * (accepted on the bus as the provisioner's functions would publish it: outside clients may not use
 * the provisioner's source) reaches it through its own rule, and it answers through S3 and PutEvents.
 */

interface Running {
  readonly local: TestStack;
  readonly s3: S3Client;
  readonly log: string[];
}

async function start(assetChannel: boolean): Promise<Running> {
  const log: string[] = [];
  const local = await startTestStack({ assetChannel, quiet: false, log: (line) => log.push(line) });
  const s3 = new S3Client({
    ...localClientConfig(local.stack.url, local.stack.region),
    forcePathStyle: true,
  });
  return { local, s3, log };
}

/** Accepts a Template Assets Requested event for a fresh workspace; answers its ids and prefix. */
function requestAssets(local: TestStack, template: string) {
  const workspaceId = uniqueId('assets');
  const requestId = `req-${workspaceId}`;
  const prefix = stagedPrefix('org-1', workspaceId, requestId);
  local.stack.bus.accept(DEFAULT_EVENT_BUS_NAME, [
    {
      version: '0',
      id: randomUUID(),
      'detail-type': DETAIL_TYPES.templateAssetsRequested,
      source: DEFAULT_PROVISIONER_SOURCE,
      account: LOCAL_ACCOUNT,
      time: new Date().toISOString(),
      region: local.stack.region,
      resources: [],
      detail: {
        requestId,
        workspaceId,
        orgId: 'org-1',
        kind: 'platform',
        template,
        paths: ['config.yaml', 'prompts/concierge.md'],
        destination: s3Uri(DEFAULT_WORKSPACE_FILES_BUCKET, prefix),
      },
    },
  ]);
  return { workspaceId, requestId, prefix };
}

async function keysUnder(s3: S3Client, prefix: string): Promise<string[]> {
  const listed = await s3.send(
    new ListObjectsV2Command({ Bucket: DEFAULT_WORKSPACE_FILES_BUCKET, Prefix: prefix }),
  );
  return (listed.Contents ?? []).map((object) => object.Key ?? '').sort();
}

describe('the asset channel stand-in (on by default)', () => {
  let running: Running;
  beforeAll(async () => {
    running = await start(true);
  });
  afterAll(async () => {
    running.s3.destroy();
    await running.local.stop();
  });

  it('stages every file of config/templates/<template>/ under the destination and publishes Staged', async () => {
    const { local, s3 } = running;
    const { workspaceId, requestId, prefix } = requestAssets(local, 'platform-agent');
    const events = await waitForEvents(
      local.stack.url,
      (log) => about(log, DETAIL_TYPES.templateAssetsStaged, workspaceId).length > 0,
    );
    const [staged] = about(events, DETAIL_TYPES.templateAssetsStaged, workspaceId);
    expect(staged?.source).toBe(DEFAULT_REQUEST_SOURCE);
    expect(staged?.detail).toEqual({ requestId, workspaceId });

    expect(await keysUnder(s3, prefix)).toEqual([`${prefix}config.yaml`, `${prefix}prompts/concierge.md`]);
    for (const path of ['config.yaml', 'prompts/concierge.md']) {
      const object = await s3.send(
        new GetObjectCommand({ Bucket: DEFAULT_WORKSPACE_FILES_BUCKET, Key: `${prefix}${path}` }),
      );
      const body = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
      expect(body.equals(await readFile(join(TEMPLATES_DIR, 'platform-agent', path)))).toBe(true);
    }
  });

  it('hears the request through its own route, outside the wiring table', () => {
    expect(running.local.stack.routes.map((route) => route.target)).not.toContain(ASSET_CHANNEL_TARGET);
  });

  it('stages nothing and publishes nothing for an unknown template, and says so in the log', async () => {
    const { local, s3, log } = running;
    const { workspaceId, requestId, prefix } = requestAssets(local, 'no-such-template');
    await settled(local.stack);
    await expect
      .poll(() => log.find((line) => / asset-channel /.test(line) && line.includes(requestId)), {
        timeout: 5000,
      })
      .toMatch(/unknown template "no-such-template".*nothing staged, nothing published/);
    const events = await waitForEvents(local.stack.url, () => true);
    expect(about(events, DETAIL_TYPES.templateAssetsStaged, workspaceId)).toEqual([]);
    expect(await keysUnder(s3, prefix)).toEqual([]);
  });
});

describe('the asset channel stand-in, turned off (--no-asset-channel)', () => {
  it('answers nothing: an upstream team tests its own channel', async () => {
    const { local, s3 } = await start(false);
    try {
      const { workspaceId, prefix } = requestAssets(local, 'platform-agent');
      await settled(local.stack);
      // Give a channel, were one running, the time it takes to answer (it answers within milliseconds).
      await new Promise((resolve) => setTimeout(resolve, 300));
      const events = await waitForEvents(local.stack.url, () => true);
      expect(about(events, DETAIL_TYPES.templateAssetsRequested, workspaceId)).toHaveLength(1);
      expect(about(events, DETAIL_TYPES.templateAssetsStaged, workspaceId)).toEqual([]);
      expect(await keysUnder(s3, prefix)).toEqual([]);
    } finally {
      s3.destroy();
      await local.stop();
    }
  });
});
