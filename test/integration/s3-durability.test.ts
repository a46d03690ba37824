/** The workspace files bucket lives in the state directory: a restarted stack answers what was written. */
import { rmSync } from 'node:fs';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_WORKSPACE_FILES_BUCKET } from '#contracts/names.ts';
import { localClientConfig } from '#local/clients.ts';
import { type LocalStack, startLocalStack } from '#local/stack.ts';
import { tempStateDir } from './helpers.ts';

const Bucket = DEFAULT_WORKSPACE_FILES_BUCKET;

describe('the local S3 bucket across a restart', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  const clientOf = (stack: LocalStack): S3Client => {
    const client = new S3Client({ ...localClientConfig(stack.url, stack.region), forcePathStyle: true });
    cleanups.unshift(() => client.destroy());
    return client;
  };

  it('answers the objects a previous run of the stack stored on the same state directory', async () => {
    const stateDir = tempStateDir();
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    const first = await startLocalStack({ port: 0, driver: 'simulated', quiet: true, stateDir });
    cleanups.unshift(() => first.stop());
    const body = `ANTHROPIC_API_KEY=sk-${Date.now()}\n`;
    await clientOf(first).send(new PutObjectCommand({ Bucket, Key: 'orgs/o-1/secrets/org.env', Body: body }));
    await first.stop();

    const second = await startLocalStack({ port: 0, driver: 'simulated', quiet: true, stateDir });
    cleanups.unshift(() => second.stop());
    const s3 = clientOf(second);
    const got = await s3.send(new GetObjectCommand({ Bucket, Key: 'orgs/o-1/secrets/org.env' }));
    expect(await got.Body?.transformToString()).toBe(body);
    const listed = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'orgs/' }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(['orgs/o-1/secrets/org.env']);
  });
});
