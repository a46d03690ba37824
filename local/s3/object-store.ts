/**
 * The local S3 objects, durable in the state directory's SQLite database (table `s3_objects`), so
 * secrets files, staged assets and boot bundles survive a restart of the stack as they would in a
 * bucket. One row per object: the bytes and what S3 reports about them.
 */
import { createHash } from 'node:crypto';
import type { LocalDatabase } from '#local/interfaces.ts';

/** What is stored beside an object's bytes. */
export interface StoredObjectHead {
  readonly bucket: string;
  readonly key: string;
  readonly size: number;
  /** The quoted MD5 hex of the bytes, as S3 writes a single-part upload's ETag. */
  readonly etag: string;
  /** Epoch milliseconds. */
  readonly lastModified: number;
  /** Content-Type, Content-Encoding, Cache-Control, ... and `x-amz-meta-*`, by lower-case name. */
  readonly headers: Readonly<Record<string, string>>;
  /** The checksum sent with the upload, as `x-amz-checksum-<algorithm>` and its value. */
  readonly checksum?: { readonly header: string; readonly value: string };
}

/** An object with its bytes. */
export interface StoredObject extends StoredObjectHead {
  readonly body: Buffer;
}

/** What {@link S3ObjectStore.put} stores. */
export interface ObjectToPut {
  readonly bucket: string;
  readonly key: string;
  readonly body: Buffer;
  readonly headers: Readonly<Record<string, string>>;
  readonly checksum?: { readonly header: string; readonly value: string };
}

/** The objects of the emulated buckets. */
export interface S3ObjectStore {
  put(object: ObjectToPut, now: number): StoredObjectHead;
  get(bucket: string, key: string): StoredObject | undefined;
  head(bucket: string, key: string): StoredObjectHead | undefined;
  /** True when there was an object to delete. */
  delete(bucket: string, key: string): boolean;
  /** Heads of the objects whose key starts with `prefix` and sorts after `after`, in key order. */
  keysAfter(bucket: string, prefix: string, after: string): Iterable<StoredObjectHead>;
}

interface HeadRow {
  bucket: string;
  key: string;
  size: number;
  etag: string;
  last_modified: number;
  headers: string;
  checksum: string | null;
}

const headOf = (row: HeadRow): StoredObjectHead => ({
  bucket: row.bucket,
  key: row.key,
  size: row.size,
  etag: row.etag,
  lastModified: row.last_modified,
  headers: JSON.parse(row.headers) as Record<string, string>,
  ...(row.checksum !== null
    ? { checksum: JSON.parse(row.checksum) as { header: string; value: string } }
    : {}),
});

const HEAD_COLUMNS = 'bucket, key, size, etag, last_modified, headers, checksum';

/** The object store over `database` (creating its table). */
export function createS3ObjectStore(database: LocalDatabase): S3ObjectStore {
  const { db } = database;
  db.exec(`CREATE TABLE IF NOT EXISTS s3_objects (
    bucket TEXT NOT NULL,
    key TEXT NOT NULL,
    body BLOB NOT NULL,
    size INTEGER NOT NULL,
    etag TEXT NOT NULL,
    last_modified INTEGER NOT NULL,
    headers TEXT NOT NULL,
    checksum TEXT,
    PRIMARY KEY (bucket, key)
  ) WITHOUT ROWID`);
  const upsert =
    db.prepare(`INSERT INTO s3_objects (bucket, key, body, size, etag, last_modified, headers, checksum)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (bucket, key) DO UPDATE SET body = excluded.body, size = excluded.size, etag = excluded.etag,
      last_modified = excluded.last_modified, headers = excluded.headers, checksum = excluded.checksum`);
  const selectObject = db.prepare(
    `SELECT ${HEAD_COLUMNS}, body FROM s3_objects WHERE bucket = ? AND key = ?`,
  );
  const selectHead = db.prepare(`SELECT ${HEAD_COLUMNS} FROM s3_objects WHERE bucket = ? AND key = ?`);
  const remove = db.prepare('DELETE FROM s3_objects WHERE bucket = ? AND key = ?');
  // SQLite compares TEXT bytewise (BINARY collation) on UTF-8, which is the order S3 lists keys in.
  // One lower bound per query, so the primary key's range starts there: given both `key > after` and
  // `key >= prefix`, SQLite seeks by one and filters by the other, which read every key of the
  // bucket from the start on each page of a listing.
  const selectFromPrefix = db.prepare(
    `SELECT ${HEAD_COLUMNS} FROM s3_objects WHERE bucket = ? AND key >= ? ORDER BY key`,
  );
  const selectAfterKey = db.prepare(
    `SELECT ${HEAD_COLUMNS} FROM s3_objects WHERE bucket = ? AND key > ? ORDER BY key`,
  );

  return {
    put(object, now) {
      const etag = `"${createHash('md5').update(object.body).digest('hex')}"`;
      const headers = JSON.stringify(object.headers);
      const checksum = object.checksum ? JSON.stringify(object.checksum) : null;
      upsert.run(object.bucket, object.key, object.body, object.body.length, etag, now, headers, checksum);
      return {
        bucket: object.bucket,
        key: object.key,
        size: object.body.length,
        etag,
        lastModified: now,
        headers: object.headers,
        ...(object.checksum ? { checksum: object.checksum } : {}),
      };
    },
    get(bucket, key) {
      const row = selectObject.get(bucket, key) as (HeadRow & { body: Uint8Array }) | undefined;
      if (row === undefined) return undefined;
      return { ...headOf(row), body: Buffer.from(row.body.buffer, row.body.byteOffset, row.body.byteLength) };
    },
    head(bucket, key) {
      const row = selectHead.get(bucket, key) as HeadRow | undefined;
      return row === undefined ? undefined : headOf(row);
    },
    delete(bucket, key) {
      return Number(remove.run(bucket, key).changes) > 0;
    },
    *keysAfter(bucket, prefix, after) {
      // Keys sort bytewise, so after `after` when it sorts past the prefix, else from the prefix.
      const rows =
        Buffer.compare(Buffer.from(after), Buffer.from(prefix)) >= 0
          ? selectAfterKey.iterate(bucket, after)
          : selectFromPrefix.iterate(bucket, prefix);
      for (const row of rows as Iterable<HeadRow>) {
        if (!row.key.startsWith(prefix)) return;
        yield headOf(row);
      }
    },
  };
}
