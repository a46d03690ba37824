/**
 * Amazon S3's REST protocol, path-style (`/<bucket>/<key>`), on the local endpoint: PutObject,
 * GetObject, HeadObject, DeleteObject and ListObjectsV2 over {@link S3ObjectStore}, for the buckets
 * the stack has (the workspace files bucket); any other bucket is `NoSuchBucket`. The server gives
 * it every request without an `X-Amz-Target` whose method is one of S3's and whose path names a
 * bucket, so the JSON protocols keep `POST /`.
 *
 * Signatures are not checked (as nowhere on the local endpoint), but what protects the bytes is:
 * `Content-MD5`, a hex `x-amz-content-sha256`, and the flexible checksum the SDKs send by default
 * (a `x-amz-checksum-*` header, or a trailer after an `aws-chunked` body) must match, or the upload
 * is refused with `BadDigest` / `XAmzContentSHA256Mismatch` and nothing is stored.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { WireAnswer, WireRequest, WireRoute } from '#local/wire/server.ts';
import { decodeAwsChunked } from './aws-chunked.ts';
import {
  type ChecksumAlgorithm,
  checksumAlgorithmOf,
  checksumHeader,
  checksumLabel,
  checksumOf,
} from './checksums.ts';
import { S3Error } from './errors.ts';
import type { S3ObjectStore, StoredObjectHead } from './object-store.ts';
import { errorDocument, type ListedObject, listBucketResult } from './xml.ts';

/** The methods of the operations served. */
const S3_METHODS = new Set(['GET', 'PUT', 'HEAD', 'DELETE']);
/** S3 keys are at most 1024 bytes of UTF-8. */
export const MAX_KEY_BYTES = 1024;
/** ListObjectsV2 answers at most this many keys and prefixes per page. */
export const MAX_LIST_KEYS = 1000;
/** What the local store keeps of one object at most. @default 16 MiB (the endpoint's body limit) */
export const DEFAULT_MAX_OBJECT_BYTES = 16 * 1024 * 1024;

/** The request headers stored with an object and answered on GET and HEAD. */
const STORED_HEADERS = [
  'content-type',
  'content-encoding',
  'content-disposition',
  'content-language',
  'cache-control',
  'expires',
];
const DEFAULT_CONTENT_TYPE = 'binary/octet-stream';
const XML = 'application/xml';

/** Options of {@link s3Route}. */
export interface S3RouteOptions {
  readonly store: S3ObjectStore;
  /** The buckets that exist. */
  readonly buckets: readonly string[];
  /** @default Date */
  readonly clock?: { now(): number };
  /** Largest object accepted. @default DEFAULT_MAX_OBJECT_BYTES */
  readonly maxObjectBytes?: number;
}

/** A request split into bucket and key, from the path as sent (no dot-segment normalisation). */
interface S3Address {
  readonly bucket: string;
  /** undefined for a request on the bucket itself. */
  readonly key: string | undefined;
}

function addressOf(rawPath: string): S3Address {
  const path = rawPath.slice(1);
  const slash = path.indexOf('/');
  const decode = (text: string): string => {
    try {
      return decodeURIComponent(text);
    } catch {
      throw new S3Error('InvalidURI', "Couldn't parse the specified URI.");
    }
  };
  if (slash < 0) return { bucket: decode(path), key: undefined };
  const key = decode(path.slice(slash + 1));
  return { bucket: decode(path.slice(0, slash)), key: key === '' ? undefined : key };
}

const header = (request: WireRequest, name: string): string | undefined => {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

const httpDate = (ms: number): string => new Date(ms).toUTCString();

/** The headers GET and HEAD answer for an object. */
function objectHeaders(object: StoredObjectHead, withChecksum: boolean): Record<string, string> {
  return {
    'content-type': DEFAULT_CONTENT_TYPE,
    ...object.headers,
    'content-length': String(object.size),
    etag: object.etag,
    'last-modified': httpDate(object.lastModified),
    'accept-ranges': 'bytes',
    ...(withChecksum && object.checksum
      ? { [object.checksum.header]: object.checksum.value, 'x-amz-checksum-type': 'FULL_OBJECT' }
      : {}),
  };
}

/** The continuation token: opaque to clients, the last key or common prefix a page returned. */
const encodeToken = (marker: string): string => Buffer.from(`1\n${marker}`, 'utf8').toString('base64');
function decodeToken(token: string): string {
  const text = Buffer.from(token, 'base64').toString('utf8');
  if (!text.startsWith('1\n') || encodeToken(text.slice(2)) !== token) {
    throw new S3Error('InvalidArgument', 'The continuation token provided is incorrect', {
      fields: { ArgumentName: 'continuation-token' },
    });
  }
  return text.slice(2);
}

/**
 * The S3 route of the local endpoint.
 *
 * @example
 * ```ts
 * const s3 = new S3Client({ ...localClientConfig(stack.url, stack.region), forcePathStyle: true });
 * await s3.send(new PutObjectCommand({ Bucket: 'workspace-files', Key: 'a.env', Body: 'A=1\n' }));
 * ```
 */
export function s3Route(options: S3RouteOptions): WireRoute {
  const { store } = options;
  const buckets = new Set(options.buckets);
  const clock = options.clock ?? Date;
  const maxObjectBytes = options.maxObjectBytes ?? DEFAULT_MAX_OBJECT_BYTES;

  function errorAnswer(request: Pick<WireRequest, 'method'>, error: S3Error): WireAnswer {
    const requestId = randomBytes(8).toString('hex').toUpperCase();
    if (request.method === 'HEAD') {
      // HEAD answers carry no body; the SDK reads the code from the status.
      return { status: error.status, headers: { 'x-amz-request-id': requestId }, body: '' };
    }
    return {
      status: error.status,
      headers: { 'content-type': XML, 'x-amz-request-id': requestId },
      body: errorDocument(error.code, error.message, error.fields, requestId),
    };
  }

  function requireBucket(bucket: string): void {
    if (!buckets.has(bucket)) {
      throw new S3Error('NoSuchBucket', 'The specified bucket does not exist', {
        status: 404,
        fields: { BucketName: bucket },
      });
    }
  }

  function requireKey(key: string): void {
    if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
      throw new S3Error('KeyTooLongError', 'Your key is too long', {
        fields: { MaxSizeAllowed: String(MAX_KEY_BYTES), Size: String(Buffer.byteLength(key)) },
      });
    }
  }

  const tooLarge = (size: number): S3Error =>
    new S3Error('EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
      fields: { ProposedSize: String(size), MaxSizeAllowed: String(maxObjectBytes) },
    });

  /** The payload of a PUT, decoded and checked against every digest the request carries. */
  function verifiedPayload(request: WireRequest): {
    body: Buffer;
    checksum?: { header: string; value: string };
  } {
    const contentEncoding = header(request, 'content-encoding') ?? '';
    const encodings = contentEncoding
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean);
    const contentSha256 = header(request, 'x-amz-content-sha256') ?? '';
    const chunked = encodings.includes('aws-chunked') || contentSha256.startsWith('STREAMING-');
    let body = request.body;
    let trailers: ReadonlyMap<string, string> = new Map();
    if (chunked) {
      try {
        ({ payload: body, trailers } = decodeAwsChunked(request.body));
      } catch (error) {
        throw new S3Error(
          'IncompleteBody',
          'You did not provide the number of bytes specified by the Content-Length HTTP header.',
          { cause: error },
        );
      }
      const declared = header(request, 'x-amz-decoded-content-length');
      if (declared !== undefined && Number(declared) !== body.length) {
        throw new S3Error(
          'IncompleteBody',
          'You did not provide the number of bytes specified by the Content-Length HTTP header.',
        );
      }
    }
    if (body.length > maxObjectBytes) throw tooLarge(body.length);
    if (
      /^[0-9a-f]{64}$/.test(contentSha256) &&
      createHash('sha256').update(body).digest('hex') !== contentSha256
    ) {
      throw new S3Error(
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        {
          fields: {
            ClientComputedContentSHA256: contentSha256,
            S3ComputedContentSHA256: createHash('sha256').update(body).digest('hex'),
          },
        },
      );
    }
    const md5 = header(request, 'content-md5');
    if (md5 !== undefined) {
      if (Buffer.from(md5, 'base64').length !== 16) {
        throw new S3Error('InvalidDigest', 'The Content-MD5 you specified was invalid.');
      }
      if (createHash('md5').update(body).digest('base64') !== md5) {
        throw new S3Error('BadDigest', 'The Content-MD5 you specified did not match what we received.');
      }
    }
    const sent: Array<[ChecksumAlgorithm, string]> = [];
    for (const [name, value] of [...Object.entries(request.headers), ...trailers]) {
      if (!name.toLowerCase().startsWith('x-amz-checksum-') || typeof value !== 'string') continue;
      const algorithm = checksumAlgorithmOf(name);
      if (algorithm !== undefined) sent.push([algorithm, value]);
    }
    if (sent.length > 1) {
      throw new S3Error(
        'InvalidRequest',
        'Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.',
      );
    }
    const [given] = sent;
    if (given === undefined) return { body };
    const [algorithm, value] = given;
    if (checksumOf(algorithm, body) !== value) {
      throw new S3Error(
        'BadDigest',
        `The ${checksumLabel(algorithm)} you specified did not match the calculated checksum.`,
      );
    }
    return { body, checksum: { header: checksumHeader(algorithm), value } };
  }

  function putObject(request: WireRequest, bucket: string, key: string): WireAnswer {
    const { body, checksum } = verifiedPayload(request);
    const headers: Record<string, string> = {};
    for (const name of STORED_HEADERS) {
      let value = header(request, name);
      if (name === 'content-encoding' && value !== undefined) {
        // aws-chunked describes the upload, not the object.
        value = value
          .split(',')
          .map((part) => part.trim())
          .filter((part) => part !== '' && part !== 'aws-chunked')
          .join(',');
        if (value === '') value = undefined;
      }
      if (value !== undefined) headers[name] = value;
    }
    for (const [name, value] of Object.entries(request.headers)) {
      if (name.startsWith('x-amz-meta-') && typeof value === 'string') headers[name] = value;
    }
    const stored = store.put({ bucket, key, body, headers, ...(checksum ? { checksum } : {}) }, clock.now());
    return {
      status: 200,
      headers: {
        etag: stored.etag,
        ...(checksum ? { [checksum.header]: checksum.value, 'x-amz-checksum-type': 'FULL_OBJECT' } : {}),
      },
      body: '',
    };
  }

  const noSuchKey = (key: string): S3Error =>
    new S3Error('NoSuchKey', 'The specified key does not exist.', { status: 404, fields: { Key: key } });

  function getObject(request: WireRequest, bucket: string, key: string): WireAnswer {
    const withChecksum = header(request, 'x-amz-checksum-mode')?.toUpperCase() === 'ENABLED';
    if (request.method === 'HEAD') {
      const head = store.head(bucket, key);
      if (head === undefined) throw noSuchKey(key);
      return { status: 200, headers: objectHeaders(head, withChecksum), body: '' };
    }
    const object = store.get(bucket, key);
    if (object === undefined) throw noSuchKey(key);
    return { status: 200, headers: objectHeaders(object, withChecksum), body: object.body };
  }

  function listObjectsV2(request: WireRequest, bucket: string): WireAnswer {
    const query = request.url.searchParams;
    const prefix = query.get('prefix') ?? '';
    const delimiter = query.get('delimiter') || undefined;
    const startAfter = query.get('start-after') ?? undefined;
    const continuationToken = query.get('continuation-token') ?? undefined;
    const encodingType = query.get('encoding-type') ?? undefined;
    if (encodingType !== undefined && encodingType !== 'url') {
      throw new S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request', {
        fields: { ArgumentName: 'encoding-type', ArgumentValue: encodingType },
      });
    }
    const maxKeysText = query.get('max-keys');
    const maxKeys = maxKeysText === null ? MAX_LIST_KEYS : Number(maxKeysText);
    if (maxKeysText !== null && (!/^\d+$/.test(maxKeysText) || maxKeys > 2_147_483_647)) {
      throw new S3Error('InvalidArgument', 'Provided max-keys not an integer or within integer range', {
        fields: { ArgumentName: 'max-keys', ArgumentValue: maxKeysText },
      });
    }
    const limit = Math.min(maxKeys, MAX_LIST_KEYS);
    // The token resumes after the last key or common prefix returned; start-after is ignored then.
    const marker = continuationToken !== undefined ? decodeToken(continuationToken) : (startAfter ?? '');
    const contents: ListedObject[] = [];
    const commonPrefixes: string[] = [];
    let last = '';
    let isTruncated = false;
    for (const object of store.keysAfter(bucket, prefix, marker)) {
      // Keys under a common prefix the previous page ended on were rolled up there.
      if (delimiter !== undefined && marker.endsWith(delimiter) && object.key.startsWith(marker)) continue;
      const rest = object.key.slice(prefix.length);
      const cut = delimiter === undefined ? -1 : rest.indexOf(delimiter);
      const rolledUp = cut < 0 ? undefined : prefix + rest.slice(0, cut + (delimiter as string).length);
      if (rolledUp !== undefined && rolledUp === commonPrefixes.at(-1)) continue;
      if (contents.length + commonPrefixes.length >= limit) {
        isTruncated = limit > 0;
        break;
      }
      if (rolledUp !== undefined) {
        commonPrefixes.push(rolledUp);
        last = rolledUp;
      } else {
        contents.push(object);
        last = object.key;
      }
    }
    return {
      status: 200,
      headers: { 'content-type': XML },
      body: listBucketResult({
        bucket,
        prefix,
        ...(delimiter !== undefined ? { delimiter } : {}),
        maxKeys,
        ...(startAfter !== undefined ? { startAfter } : {}),
        ...(continuationToken !== undefined ? { continuationToken } : {}),
        ...(isTruncated ? { nextContinuationToken: encodeToken(last) } : {}),
        ...(encodingType === 'url' ? { encodingType } : {}),
        contents,
        commonPrefixes,
        isTruncated,
      }),
    };
  }

  function onBucket(request: WireRequest, bucket: string): WireAnswer {
    if (request.method === 'HEAD')
      return { status: 200, headers: { 'x-amz-bucket-region': 'us-east-1' }, body: '' };
    if (request.method === 'GET' && request.url.searchParams.get('list-type') === '2')
      return listObjectsV2(request, bucket);
    if (request.method === 'PUT' && [...request.url.searchParams.keys()].length === 0) {
      throw new S3Error(
        'BucketAlreadyOwnedByYou',
        'Your previous request to create the named bucket succeeded and you already own it.',
        {
          status: 409,
          fields: { BucketName: bucket },
        },
      );
    }
    throw notImplemented();
  }

  const notImplemented = (): S3Error =>
    new S3Error(
      'NotImplemented',
      'A header or query you provided implies functionality that is not implemented.',
      { status: 501 },
    );

  function answer(request: WireRequest): WireAnswer {
    const { bucket, key } = addressOf(request.rawPath);
    requireBucket(bucket);
    if (key === undefined) return onBucket(request, bucket);
    requireKey(key);
    // Subresources (?acl, ?tagging, ?uploads, ...) are other operations, not served here.
    const subresources = [...request.url.searchParams.keys()].filter(
      (name) => !name.startsWith('x-id') && name !== 'versionId',
    );
    if (subresources.length > 0 || request.url.searchParams.has('versionId')) throw notImplemented();
    switch (request.method) {
      case 'PUT':
        if (header(request, 'x-amz-copy-source') !== undefined) throw notImplemented();
        return putObject(request, bucket, key);
      case 'GET':
      case 'HEAD':
        return getObject(request, bucket, key);
      default:
        store.delete(bucket, key);
        return { status: 204, headers: {}, body: '' };
    }
  }

  return {
    matches(request) {
      return (
        request.target === undefined &&
        S3_METHODS.has(request.method) &&
        request.url.pathname !== '/' &&
        !request.url.pathname.startsWith('/local/')
      );
    },
    answer(request) {
      try {
        return answer(request);
      } catch (error) {
        if (error instanceof S3Error) return errorAnswer(request, error);
        throw error;
      }
    },
    tooLarge(request, size) {
      return errorAnswer(request, tooLarge(size));
    },
  };
}
