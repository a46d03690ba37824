import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3WorkspaceFiles } from '#adapters/s3-workspace-files.ts';

const s3Mock = mockClient(S3Client);
const files = () => new S3WorkspaceFiles(new S3Client({ region: 'us-east-1' }), 'workspace-files');

beforeEach(() => s3Mock.reset());

describe('S3WorkspaceFiles', () => {
  it('answers exists by listing the exact key, never by reading it', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'orgs/o/secrets/org.env' }] });
    await expect(files().exists('orgs/o/secrets/org.env')).resolves.toBe(true);
    expect(s3Mock).toHaveReceivedCommandWith(ListObjectsV2Command, {
      Bucket: 'workspace-files',
      Prefix: 'orgs/o/secrets/org.env',
      MaxKeys: 1,
    });
    expect(s3Mock).toHaveReceivedCommandTimes(GetObjectCommand, 0);
  });

  it('does not take a longer key under the same prefix for the key', async () => {
    s3Mock.on(ListObjectsV2Command).resolves({ Contents: [{ Key: 'orgs/o/secrets/org.env.bak' }] });
    await expect(files().exists('orgs/o/secrets/org.env')).resolves.toBe(false);
    s3Mock.on(ListObjectsV2Command).resolves({});
    await expect(files().exists('orgs/o/secrets/org.env')).resolves.toBe(false);
  });

  it('lists every key under a prefix across pages', async () => {
    s3Mock
      .on(ListObjectsV2Command, { ContinuationToken: undefined })
      .resolves({ Contents: [{ Key: 'p/a' }], IsTruncated: true, NextContinuationToken: 't1' })
      .on(ListObjectsV2Command, { ContinuationToken: 't1' })
      .resolves({ Contents: [{ Key: 'p/b' }], IsTruncated: false });
    await expect(files().list('p/')).resolves.toEqual(['p/a', 'p/b']);
    expect(s3Mock).toHaveReceivedCommandTimes(ListObjectsV2Command, 2);
  });

  it('reads and writes bytes', async () => {
    // The SDK's streaming body, reduced to the one method the adapter calls.
    const Body = { transformToByteArray: async () => new Uint8Array(Buffer.from('hello')) };
    s3Mock.on(GetObjectCommand).resolves({ Body } as never);
    s3Mock.on(PutObjectCommand).resolves({});
    await expect(files().get('staged/a')).resolves.toEqual(Buffer.from('hello'));
    await files().put('boot/x.env', 'A=1\n');
    expect(s3Mock).toHaveReceivedCommandWith(PutObjectCommand, {
      Bucket: 'workspace-files',
      Key: 'boot/x.env',
    });
  });
});
