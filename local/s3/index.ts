/** Amazon S3 (REST, path-style) on the local endpoint, over objects durable in the state database. */
export { type DecodedChunks, decodeAwsChunked } from './aws-chunked.ts';
export { CHECKSUM_ALGORITHMS, type ChecksumAlgorithm, checksumHeader, checksumOf } from './checksums.ts';
export { AwsChunkedDecodingError, S3Error, type S3ErrorOptions } from './errors.ts';
export {
  createS3ObjectStore,
  type ObjectToPut,
  type S3ObjectStore,
  type StoredObject,
  type StoredObjectHead,
} from './object-store.ts';
export {
  DEFAULT_MAX_OBJECT_BYTES,
  MAX_KEY_BYTES,
  MAX_LIST_KEYS,
  type S3RouteOptions,
  s3Route,
} from './s3-route.ts';
