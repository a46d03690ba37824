/**
 * The local endpoint's S3, driven by the real `@aws-sdk/client-s3` (path-style, as the stack's
 * clients and upstream's use it), with the SDK's default flexible checksums on.
 */
import { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchBucket,
  NoSuchKey,
  NotFound,
  PutObjectCommand,
  paginateListObjectsV2,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_WORKSPACE_FILES_BUCKET } from '#contracts/names.ts';
import { localClientConfig, localS3ClientConfig } from '#local/clients.ts';
import { createEcsEmulator } from '#local/ecs/index.ts';
import { createEventBridgeEmulator, createEventBus } from '#local/eventbridge/index.ts';
import { createS3ObjectStore, s3Route } from '#local/s3/index.ts';
import { IN_MEMORY, openDatabase } from '#local/store/index.ts';
import { createLocalServer, type WireRequest } from '#local/wire/index.ts';
import { CODEX } from '../helpers.ts';

const Bucket = DEFAULT_WORKSPACE_FILES_BUCKET;

describe('the local S3 endpoint', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });

  async function start(options: { maxBodyBytes?: number } = {}) {
    const database = openDatabase(IN_MEMORY);
    const bus = createEventBus(database);
    const ecs = createEcsEmulator({ database, bus, driver: 'simulated', taskDefinitions: [CODEX] });
    const store = createS3ObjectStore(database);
    const route = s3Route({
      store,
      buckets: [Bucket],
      ...(options.maxBodyBytes ? { maxObjectBytes: options.maxBodyBytes } : {}),
    });
    const requests: WireRequest[] = [];
    const server = await createLocalServer({
      port: 0,
      eventBridge: createEventBridgeEmulator({ bus }),
      ecs,
      bus,
      ready: () => true,
      routes: [
        {
          matches: (request) => route.matches(request),
          answer(request) {
            requests.push(request);
            return route.answer(request);
          },
          tooLarge: (request, size) => (route.tooLarge as NonNullable<typeof route.tooLarge>)(request, size),
        },
      ],
      ...(options.maxBodyBytes ? { maxBodyBytes: options.maxBodyBytes } : {}),
    });
    const s3 = new S3Client({
      ...localClientConfig(server.url, 'us-east-1', { maxAttempts: 1 }),
      forcePathStyle: true,
    });
    cleanups.unshift(async () => {
      s3.destroy();
      await server.close();
      await ecs.close();
      database.close();
    });
    return { s3, url: server.url, store, requests };
  }

  it('stores and answers a string, a Buffer and a stream body, each with its MD5 ETag', async () => {
    const { s3 } = await start();
    const bodies: Array<[string, string | Buffer | Readable, Buffer]> = [
      ['string.txt', 'hello, workspace', Buffer.from('hello, workspace')],
      ['buffer.bin', Buffer.from([0, 1, 2, 254, 255]), Buffer.from([0, 1, 2, 254, 255])],
      ['stream.txt', Readable.from([Buffer.from('one '), Buffer.from('two')]), Buffer.from('one two')],
    ];
    for (const [Key, Body, expected] of bodies) {
      const put = await s3.send(
        new PutObjectCommand({
          Bucket,
          Key,
          Body,
          ...(Body instanceof Readable ? { ContentLength: expected.length } : {}),
          ContentType: 'text/plain',
        }),
      );
      const md5 = (await import('node:crypto')).createHash('md5').update(expected).digest('hex');
      expect(put.ETag).toBe(`"${md5}"`);
      const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
      expect(
        Buffer.from(
          await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
        ),
      ).toEqual(expected);
      expect(got.ETag).toBe(`"${md5}"`);
      expect(got.ContentLength).toBe(expected.length);
      expect(got.ContentType).toBe('text/plain');
      expect(got.LastModified).toBeInstanceOf(Date);
    }
  });

  it('accepts an aws-chunked stream upload with a trailing checksum and answers it with the checksum enabled', async () => {
    const { s3, store, requests } = await start();
    const body = Buffer.alloc(5 * 1024 * 1024);
    for (let index = 0; index < body.length; index += 1) body[index] = (index * 7919) % 251;
    // A stream body: the SDK sends it aws-chunked with its CRC32 as a trailer.
    await s3.send(
      new PutObjectCommand({
        Bucket,
        Key: 'big/five-mb.bin',
        Body: Readable.from([body.subarray(0, 3_000_000), body.subarray(3_000_000)]),
        ContentLength: body.length,
      }),
    );
    const upload = requests.find((request) => request.method === 'PUT');
    expect(upload?.headers['content-encoding']).toContain('aws-chunked');
    expect(upload?.headers['x-amz-content-sha256']).toBe('STREAMING-UNSIGNED-PAYLOAD-TRAILER');
    expect(upload?.headers['x-amz-trailer']).toBe('x-amz-checksum-crc32');
    expect(upload?.body.length).toBeGreaterThan(body.length);
    expect(store.head(Bucket, 'big/five-mb.bin')?.checksum?.header).toBe('x-amz-checksum-crc32');
    const got = await s3.send(
      new GetObjectCommand({ Bucket, Key: 'big/five-mb.bin', ChecksumMode: 'ENABLED' }),
    );
    expect(got.ChecksumCRC32).toBe(store.head(Bucket, 'big/five-mb.bin')?.checksum?.value);
    const bytes = Buffer.from(
      await (got.Body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray(),
    );
    expect(bytes.length).toBe(body.length);
    expect(bytes.equals(body)).toBe(true);
  });

  it('keeps keys with spaces, unicode, + and dot segments as they were written', async () => {
    const { s3 } = await start();
    const keys = [
      'with space/a b.txt',
      'ünïcödé/日本語.md',
      'plus+sign/a+b=c.env',
      'dots/../x/./y',
      'orgs/o-1/secrets/org.env',
    ];
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket, Key, Body: Key }));
    for (const Key of keys) {
      const got = await s3.send(new GetObjectCommand({ Bucket, Key }));
      expect(await (got.Body as { transformToString(): Promise<string> }).transformToString()).toBe(Key);
    }
    const listed = await s3.send(new ListObjectsV2Command({ Bucket }));
    // S3 lists keys in UTF-8 binary order.
    expect(listed.Contents?.map((object) => object.Key)).toEqual(
      [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))),
    );
  });

  it('heads and deletes an object; a deleted key is NoSuchKey on GET and NotFound on HEAD', async () => {
    const { s3 } = await start();
    await s3.send(
      new PutObjectCommand({ Bucket, Key: 'a.env', Body: 'A=1\n', Metadata: { origin: 'test' } }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket, Key: 'a.env' }));
    expect(head.ContentLength).toBe(4);
    expect(head.Metadata).toEqual({ origin: 'test' });
    const deleted = await s3.send(new DeleteObjectCommand({ Bucket, Key: 'a.env' }));
    expect(deleted.$metadata.httpStatusCode).toBe(204);
    // Deleting what is not there succeeds too, as in S3.
    expect((await s3.send(new DeleteObjectCommand({ Bucket, Key: 'a.env' }))).$metadata.httpStatusCode).toBe(
      204,
    );
    await expect(s3.send(new GetObjectCommand({ Bucket, Key: 'a.env' }))).rejects.toBeInstanceOf(NoSuchKey);
    const headError = await s3
      .send(new HeadObjectCommand({ Bucket, Key: 'a.env' }))
      .catch((error: unknown) => error);
    expect(headError).toBeInstanceOf(NotFound);
    expect((headError as NotFound).$metadata.httpStatusCode).toBe(404);
  });

  it('pages a listing with max-keys and continuation tokens, and rolls keys up under a delimiter', async () => {
    const { s3 } = await start();
    const keys = Array.from({ length: 7 }, (_, index) => `staged/o/w/r/file-${index}.txt`);
    keys.push(
      'staged/o/w/r/prompts/a.md',
      'staged/o/w/r/prompts/b.md',
      'staged/o/w/other/x',
      'boot/o/w/r.env',
    );
    for (const Key of keys) await s3.send(new PutObjectCommand({ Bucket, Key, Body: 'x' }));

    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateListObjectsV2(
      { client: s3, pageSize: 3 },
      { Bucket, Prefix: 'staged/o/w/r/' },
    )) {
      pages += 1;
      expect(page.KeyCount).toBeLessThanOrEqual(3);
      seen.push(...(page.Contents ?? []).map((object) => object.Key as string));
    }
    const expected = keys.filter((key) => key.startsWith('staged/o/w/r/')).sort();
    expect(seen).toEqual(expected);
    expect(pages).toBe(Math.ceil(expected.length / 3));

    const rolled = await s3.send(new ListObjectsV2Command({ Bucket, Prefix: 'staged/o/w/', Delimiter: '/' }));
    expect(rolled.CommonPrefixes?.map((prefix) => prefix.Prefix)).toEqual([
      'staged/o/w/other/',
      'staged/o/w/r/',
    ]);
    expect(rolled.Contents ?? []).toEqual([]);
    expect(rolled.KeyCount).toBe(2);

    // A page that ends on a common prefix resumes after everything under it.
    const first = await s3.send(
      new ListObjectsV2Command({ Bucket, Prefix: 'staged/o/w/r/', Delimiter: '/', MaxKeys: 7 }),
    );
    expect(first.IsTruncated).toBe(true);
    const second = await s3.send(
      new ListObjectsV2Command({
        Bucket,
        Prefix: 'staged/o/w/r/',
        Delimiter: '/',
        MaxKeys: 7,
        ContinuationToken: first.NextContinuationToken,
      }),
    );
    expect([...(first.Contents ?? []), ...(second.Contents ?? [])].map((object) => object.Key)).toEqual(
      keys.slice(0, 7).sort(),
    );
    expect(
      [...(first.CommonPrefixes ?? []), ...(second.CommonPrefixes ?? [])].map((prefix) => prefix.Prefix),
    ).toEqual(['staged/o/w/r/prompts/']);
    expect(second.IsTruncated).toBe(false);

    const after = await s3.send(
      new ListObjectsV2Command({ Bucket, Prefix: 'staged/', StartAfter: 'staged/o/w/r/file-5.txt' }),
    );
    expect(after.Contents?.map((object) => object.Key)).toEqual([
      'staged/o/w/r/file-6.txt',
      'staged/o/w/r/prompts/a.md',
      'staged/o/w/r/prompts/b.md',
    ]);
    expect(after.StartAfter).toBe('staged/o/w/r/file-5.txt');
  });

  it('answers an object listing as S3 writes it', async () => {
    const { s3, url } = await start();
    await s3.send(new PutObjectCommand({ Bucket, Key: 'a&b.txt', Body: 'x' }));
    const text = await (await fetch(`${url}/${Bucket}?list-type=2&prefix=a`)).text();
    expect(text).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<ListBucketResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/">/,
    );
    expect(text).toContain(
      '<Name>workspace-files</Name><Prefix>a</Prefix><KeyCount>1</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated>',
    );
    expect(text).toMatch(
      /<Contents><Key>a&amp;b.txt<\/Key><LastModified>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z<\/LastModified><ETag>&quot;[0-9a-f]{32}&quot;<\/ETag><Size>1<\/Size><StorageClass>STANDARD<\/StorageClass><\/Contents>/,
    );
  });

  // Error codes and statuses: Amazon S3 API Reference, "Error responses" / "List of error codes"
  // (https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html): NoSuchKey 404,
  // NoSuchBucket 404, InvalidArgument 400, BadDigest 400, EntityTooLarge 400.
  const errorCases: Array<{
    name: string;
    request: (url: string) => Promise<Response>;
    code: string;
    status: number;
  }> = [
    {
      name: 'a missing key',
      request: (url) => fetch(`${url}/${Bucket}/missing`),
      code: 'NoSuchKey',
      status: 404,
    },
    {
      name: 'another bucket',
      request: (url) => fetch(`${url}/other-bucket/key`),
      code: 'NoSuchBucket',
      status: 404,
    },
    {
      name: 'a max-keys that is not a number',
      request: (url) => fetch(`${url}/${Bucket}?list-type=2&max-keys=ten`),
      code: 'InvalidArgument',
      status: 400,
    },
    {
      name: 'a continuation token S3 did not give',
      request: (url) => fetch(`${url}/${Bucket}?list-type=2&continuation-token=bm9wZQ==`),
      code: 'InvalidArgument',
      status: 400,
    },
    {
      name: 'a Content-MD5 that does not match',
      request: (url) =>
        fetch(`${url}/${Bucket}/k`, {
          method: 'PUT',
          body: 'abc',
          headers: { 'content-md5': Buffer.alloc(16).toString('base64') },
        }),
      code: 'BadDigest',
      status: 400,
    },
    {
      name: 'a CRC32 that does not match',
      request: (url) =>
        fetch(`${url}/${Bucket}/k`, {
          method: 'PUT',
          body: 'abc',
          headers: { 'x-amz-checksum-crc32': 'AAAAAA==' },
        }),
      code: 'BadDigest',
      status: 400,
    },
    {
      name: 'a SHA256 that does not match',
      request: (url) =>
        fetch(`${url}/${Bucket}/k`, {
          method: 'PUT',
          body: 'abc',
          headers: { 'x-amz-checksum-sha256': Buffer.alloc(32).toString('base64') },
        }),
      code: 'BadDigest',
      status: 400,
    },
    {
      name: 'an aws-chunked body whose trailing CRC32 does not match',
      request: (url) =>
        fetch(`${url}/${Bucket}/k`, {
          method: 'PUT',
          body: '3\r\nabc\r\n0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n',
          headers: {
            'content-encoding': 'aws-chunked',
            'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
            'x-amz-trailer': 'x-amz-checksum-crc32',
            'x-amz-decoded-content-length': '3',
          },
        }),
      code: 'BadDigest',
      status: 400,
    },
    {
      name: 'a CRC32C that does not match',
      request: (url) =>
        fetch(`${url}/${Bucket}/k`, {
          method: 'PUT',
          body: 'abc',
          headers: { 'x-amz-checksum-crc32c': 'AAAAAA==' },
        }),
      code: 'BadDigest',
      status: 400,
    },
  ];
  it.each(errorCases)(
    'answers $name with $code ($status) in an XML Error document',
    async ({ request, code, status }) => {
      const { url, store } = await start();
      const response = await request(url);
      expect(response.status).toBe(status);
      expect(response.headers.get('content-type')).toBe('application/xml');
      const text = await response.text();
      expect(text).toContain(`<Error><Code>${code}</Code><Message>`);
      expect(text).toMatch(/<RequestId>[0-9A-F]+<\/RequestId>/);
      expect(store.head(Bucket, 'k')).toBeUndefined();
    },
  );

  it('maps errors to the SDK exceptions: NoSuchKey, NoSuchBucket, and BadDigest for a wrong checksum', async () => {
    const { s3 } = await start();
    await expect(s3.send(new GetObjectCommand({ Bucket, Key: 'nope' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
      $metadata: { httpStatusCode: 404 },
    });
    const bucketError = await s3
      .send(new ListObjectsV2Command({ Bucket: 'not-ours' }))
      .catch((error: unknown) => error);
    expect(bucketError).toBeInstanceOf(NoSuchBucket);
    const digest = await s3
      .send(new PutObjectCommand({ Bucket, Key: 'k', Body: 'abc', ChecksumCRC32: 'AAAAAA==' }))
      .catch((error: unknown) => error);
    expect(digest).toBeInstanceOf(S3ServiceException);
    expect((digest as S3ServiceException).name).toBe('BadDigest');
  });

  it('verifies each checksum algorithm the SDK can send', async () => {
    const { s3, store } = await start();
    for (const ChecksumAlgorithm of ['CRC32', 'CRC32C', 'SHA1', 'SHA256', 'CRC64NVME'] as const) {
      const Key = `algorithms/${ChecksumAlgorithm}`;
      await s3.send(
        new PutObjectCommand({ Bucket, Key, Body: `body for ${ChecksumAlgorithm}`, ChecksumAlgorithm }),
      );
      expect(store.head(Bucket, Key)?.checksum?.header).toBe(
        `x-amz-checksum-${ChecksumAlgorithm.toLowerCase()}`,
      );
      const got = await s3.send(new GetObjectCommand({ Bucket, Key, ChecksumMode: 'ENABLED' }));
      expect(await (got.Body as { transformToString(): Promise<string> }).transformToString()).toBe(
        `body for ${ChecksumAlgorithm}`,
      );
    }
  });

  it('refuses an object larger than the endpoint takes with EntityTooLarge', async () => {
    const { s3 } = await start({ maxBodyBytes: 1024 });
    const error = await s3
      .send(new PutObjectCommand({ Bucket, Key: 'large', Body: Buffer.alloc(4096) }))
      .catch((caught: unknown) => caught);
    expect((error as S3ServiceException).name).toBe('EntityTooLarge');
    expect((error as S3ServiceException).$metadata.httpStatusCode).toBe(400);
  });

  it('keeps the JSON protocols on POST / with X-Amz-Target', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/`, {
      method: 'POST',
      headers: {
        'x-amz-target': 'AmazonEC2ContainerServiceV20141113.ListTasks',
        'content-type': 'application/x-amz-json-1.1',
      },
      body: '{"cluster":"workspaces"}',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ taskArns: [] });
  });

  it('works with localS3ClientConfig, signed and unsigned (the stack handlers send unsigned requests)', async () => {
    const { url } = await start();
    for (const unsigned of [false, true]) {
      const client = new S3Client(localS3ClientConfig(url, 'us-east-1', { unsigned, maxAttempts: 1 }));
      try {
        const Key = `clients/${unsigned ? 'unsigned' : 'signed'}.env`;
        await client.send(new PutObjectCommand({ Bucket, Key, Body: 'A=1\n' }));
        const got = await client.send(new GetObjectCommand({ Bucket, Key }));
        expect(await got.Body?.transformToString()).toBe('A=1\n');
      } finally {
        client.destroy();
      }
    }
  });
});
