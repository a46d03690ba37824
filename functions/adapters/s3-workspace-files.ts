/**
 * `WorkspaceFiles` on S3: the workspace files bucket. `exists` lists the exact key
 * (ListObjectsV2, `s3:ListBucket`), so asking whether a secrets file exists never reads it.
 */
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { WorkspaceFiles } from '#ports/workspace-files.ts';
import { WorkspaceFileReadError } from './errors.ts';

/** The workspace files bucket through an S3 client. */
export class S3WorkspaceFiles implements WorkspaceFiles {
  readonly #client: S3Client;
  readonly #bucket: string;

  constructor(client: S3Client, bucket: string) {
    this.#client = client;
    this.#bucket = bucket;
  }

  async exists(key: string): Promise<boolean> {
    // The key itself sorts before every longer key it prefixes, so one result answers it.
    const { Contents } = await this.#client.send(
      new ListObjectsV2Command({ Bucket: this.#bucket, Prefix: key, MaxKeys: 1 }),
    );
    return (Contents ?? []).some((object) => object.Key === key);
  }

  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.#client.send(
        new ListObjectsV2Command({
          Bucket: this.#bucket,
          Prefix: prefix,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async get(key: string): Promise<Buffer> {
    const { Body } = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key: key }));
    if (!Body) throw new WorkspaceFileReadError(key);
    return Buffer.from(await Body.transformToByteArray());
  }

  async put(key: string, body: Buffer | string): Promise<void> {
    await this.#client.send(
      new PutObjectCommand({
        Bucket: this.#bucket,
        Key: key,
        Body: typeof body === 'string' ? Buffer.from(body) : body,
      }),
    );
  }
}
